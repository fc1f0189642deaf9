"""Step 4: write ``<video key without extension>.csv`` to the output bucket."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import idempotency, keys, storage
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import CsvReport, Lookup, Video
from report import to_csv


@idempotency.once_per_upload(CsvReport)
@tracer.capture_method
def write_report(*, video: Video, lookup: Lookup, bucket: str) -> CsvReport:
    key = keys.csv_key(video.key)
    storage.s3().put_object(
        Bucket=bucket, Key=key, Body=to_csv(lookup.students).encode(), ContentType="text/csv"
    )
    return CsvReport(bucket=bucket, key=key, rows=len(lookup.students))


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    video, lookup = Video(**event["video"]), Lookup(**event["lookup"])
    report = write_report(video=video, lookup=lookup, bucket=env("OUTPUT_BUCKET"))
    logger.info("report written", extra=report.model_dump())
    metrics.add_metric(name="StudentsReported", unit=MetricUnit.Count, value=report.rows)
    return report.model_dump()
