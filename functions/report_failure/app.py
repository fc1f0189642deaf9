"""ReportFailure: write ``errors/<video key>.json`` to the output bucket, then let the run fail
(contract: ``classroom_common.states``)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import keys, storage
from classroom_common.handler import env, logger, metrics, step_handler
from classroom_common.states import FailureReport, ReportFailureInput
from failure import describe


@step_handler
@event_parser(model=ReportFailureInput)
def lambda_handler(event: ReportFailureInput, context: LambdaContext) -> dict:
    described = describe(event.run, event.execution)
    video_key = described["video"].get("key") or "unknown"
    report = FailureReport(**described, report_key=keys.error_report_key(video_key))
    storage.put_json(env("OUTPUT_BUCKET"), report.report_key, report.model_dump())
    logger.error("run failed", extra=report.model_dump())
    metrics.add_metric(name="RunsFailed", unit=MetricUnit.Count, value=1)
    return report.model_dump()
