"""Step 4: write ``<video key without extension>.csv`` to the output bucket."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import keys, storage
from classroom_common.models import Lookup, Video
from report import to_csv

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    video, lookup = Video(**event["video"]), Lookup(**event["lookup"])
    bucket, key = storage.env("OUTPUT_BUCKET"), keys.csv_key(video.key)
    storage.s3().put_object(
        Bucket=bucket, Key=key, Body=to_csv(lookup.students).encode(), ContentType="text/csv"
    )
    logger.info("report written", extra={"bucket": bucket, "key": key, "rows": len(lookup.students)})
    metrics.add_metric(name="StudentsReported", unit=MetricUnit.Count, value=len(lookup.students))
    return {"bucket": bucket, "key": key, "rows": len(lookup.students)}
