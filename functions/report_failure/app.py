"""Failure path: write ``errors/<video key>.json`` to the output bucket, then let the run fail."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import keys, storage
from classroom_common.handler import env, logger, metrics, step_handler
from failure import describe


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = describe(event["state"], event["execution"])
    video_key = report["video"].get("key") or "unknown"
    report["report_key"] = keys.error_report_key(video_key)
    storage.put_json(env("OUTPUT_BUCKET"), report["report_key"], report)
    logger.error("run failed", extra=report)
    metrics.add_metric(name="RunsFailed", unit=MetricUnit.Count, value=1)
    return report
