"""Step 3: look the recognized people up in the student table."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common.handler import env, logger, metrics, step_handler
from classroom_common.models import Recognition
from students import lookup


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    recognition = Recognition(**event["recognition"])
    result = lookup(env("STUDENTS_TABLE"), [m.name for m in recognition.students])
    if result.missing:
        logger.warning("recognized people with no student record", extra={"missing": result.missing})
        metrics.add_metric(name="StudentsMissing", unit=MetricUnit.Count, value=len(result.missing))
    return result.model_dump()
