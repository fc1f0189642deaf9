"""WriteCsv: write ``<video key without extension>.csv`` to the output bucket, and the attendance
(``<video key without extension>.attendance.json``) beside it (contract: ``classroom_common.states``)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import idempotency, keys, storage
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Attendance, CsvReport, Lookup, Video
from classroom_common.states import WriteCsvInput
from report import attendance_document, rows, to_csv


@idempotency.once_per_upload(CsvReport)
@tracer.capture_method
def write_report(*, video: Video, lookup: Lookup, attendance: Attendance | None, bucket: str) -> CsvReport:
    key = keys.csv_key(video.key)
    table = rows(lookup.students, lookup.missing)
    storage.s3().put_object(Bucket=bucket, Key=key, Body=to_csv(table).encode(), ContentType="text/csv")
    attendance_key = None
    if attendance is not None:
        attendance_key = keys.attendance_key(video.key)
        storage.put_json(bucket, attendance_key, attendance_document(video, attendance, lookup.students))
    return CsvReport(bucket=bucket, key=key, rows=len(table), attendance_key=attendance_key)


@step_handler
@event_parser(model=WriteCsvInput)
def lambda_handler(event: WriteCsvInput, context: LambdaContext) -> dict:
    report = write_report(
        video=event.video, lookup=event.lookup, attendance=event.attendance, bucket=env("OUTPUT_BUCKET")
    )
    logger.info("report written", extra=report.model_dump())
    metrics.add_metric(name="StudentsReported", unit=MetricUnit.Count, value=report.rows)
    return report.model_dump()
