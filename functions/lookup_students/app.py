"""LookupStudents: look the recognized people up in the student table (contract:
``classroom_common.states``)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common.handler import env, logger, metrics, step_handler
from classroom_common.states import LookupStudentsInput
from students import lookup


@step_handler
@event_parser(model=LookupStudentsInput)
def lambda_handler(event: LookupStudentsInput, context: LambdaContext) -> dict:
    result = lookup(env("STUDENTS_TABLE"), [m.name for m in event.recognition.students])
    if result.missing:
        logger.warning("recognized people with no student record", extra={"missing": result.missing})
        metrics.add_metric(name="StudentsMissing", unit=MetricUnit.Count, value=len(result.missing))
    return result.model_dump()
