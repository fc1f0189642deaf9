"""Failure path: write ``errors/<video key>.json`` to the output bucket, then let the run fail."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import keys, storage
from failure import describe

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@storage.transient_errors
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = describe(event["state"], event["execution"])
    video_key = report["video"].get("key") or "unknown"
    report["report_key"] = keys.error_report_key(video_key)
    storage.put_json(storage.env("OUTPUT_BUCKET"), report["report_key"], report)
    logger.error("run failed", extra=report)
    metrics.add_metric(name="RunsFailed", unit=MetricUnit.Count, value=1)
    return report
