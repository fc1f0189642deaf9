"""Step 4: write ``<video key without extension>.csv`` to the output bucket."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import idempotency, keys, storage
from classroom_common.models import Lookup, Report, Video
from report import to_csv

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@idempotency.once_per_upload(Report)
@tracer.capture_method
def write_report(*, video: Video, lookup: Lookup, bucket: str) -> Report:
    key = keys.csv_key(video.key)
    storage.s3().put_object(
        Bucket=bucket, Key=key, Body=to_csv(lookup.students).encode(), ContentType="text/csv"
    )
    return Report(bucket=bucket, key=key, rows=len(lookup.students))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@storage.transient_errors
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register(context)
    video, lookup = Video(**event["video"]), Lookup(**event["lookup"])
    report = write_report(video=video, lookup=lookup, bucket=storage.env("OUTPUT_BUCKET"))
    logger.info("report written", extra=report.model_dump())
    metrics.add_metric(name="StudentsReported", unit=MetricUnit.Count, value=report.rows)
    return report.model_dump()
