"""Transient AWS failures get a name the state machine retries; everything else passes through."""

import pytest
from botocore.exceptions import ClientError

from classroom_common.errors import TransientAwsError, transient_errors
from tests.unit.test_template import ASL


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("SlowDown", 503),
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("InternalError", 500),
    ],
)
def test_throttling_and_server_errors_become_transient(code, status):
    @transient_errors
    def handler(event, context):
        raise client_error(code, status)

    with pytest.raises(TransientAwsError, match=code):
        handler({}, None)


@pytest.mark.parametrize(
    ("code", "status"), [("NoSuchKey", 404), ("AccessDenied", 403), ("ValidationException", 400)]
)
def test_other_client_errors_pass_through(code, status):
    @transient_errors
    def handler(event, context):
        raise client_error(code, status)

    with pytest.raises(ClientError) as raised:
        handler({}, None)
    assert not isinstance(raised.value, TransientAwsError)


def test_every_step_retries_the_transient_name_and_idempotent_steps_wait_for_each_other():
    for name, state in ASL["States"].items():
        if state["Type"] != "Task":
            continue
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert TransientAwsError.__name__ in retried, name
        if name in ("ExtractFrames", "RecognizeFaces", "WriteCsv"):
            assert "IdempotencyAlreadyInProgressError" in retried, name
