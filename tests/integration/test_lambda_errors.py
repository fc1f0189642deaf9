"""Lambda's error names as AWS gives them, through the local stack: a crash or a timeout reported as
``Lambda.Unknown`` (the switch ``FunctionPool.errors = "unknown"``), or by name (``Runtime.ExitError``,
``Sandbox.Timedout``, the default); and Step Functions' own Lambda client timing out
(``Lambda.ClientExecutionTimeoutException``). Each is retried; a failure that repeats is reported with
a hint that tells a timeout from a crash by the cause's text alone."""

import contextlib
import json
from collections.abc import Iterator

import pytest

from classroom_common import keys
from devstack import runs
from devstack.sandbox_errors import UNKNOWN_CAUSE
from tests.conftest import EXPECTED, SAMPLES
from tests.faults import Faults, FirstAttemptFaults, failed_tasks, upload_key

pytestmark = pytest.mark.stack


def task_failures(d, arn: str) -> list[tuple[str, str]]:
    """(error, cause) of each failed Task attempt of an execution, in order."""
    events = d.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    details = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    return [(f["error"], f.get("cause", "")) for f in details]


def error_report(d, key: str) -> dict:
    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=keys.error_report_key(key))["Body"]
    return json.loads(body.read())


class Always:
    """Inject ``kind`` into every invocation for the chosen uploads."""

    def __init__(self, kind: str, chosen: set[str]) -> None:
        self.kind, self.chosen = kind, chosen

    def __call__(self, event: dict) -> str | None:
        return self.kind if upload_key(event) in self.chosen else None


@contextlib.contextmanager
def injected(stack, errors: str, **faults) -> Iterator[None]:
    """Faults in some functions (logical id -> fault), their crashes and timeouts reported as ``errors``."""
    pools = {function: stack.pool(function) for function in faults}
    for function, fault in faults.items():
        pools[function].faults, pools[function].errors = fault, errors
    try:
        yield
    finally:
        for pool in pools.values():
            pool.faults, pool.errors = None, "named"


def test_crashes_and_timeouts_reported_as_lambda_unknown_are_retried_and_told_apart(stack):
    d = stack.deployment
    once, always, slow = "unknown/once/test_0.mp4", "unknown/always/test_5.mp4", "unknown/slow/test_8.mp4"
    with injected(
        stack,
        "unknown",
        RecognizeFacesFunction=Faults(FirstAttemptFaults("crash", {once}), Always("crash", {always})),
        WriteCsvFunction=Always("timeout", {slow}),  # the session stack's WriteCsv times out after 5 s
    ):
        uploads = [
            runs.upload(d, SAMPLES / "videos" / key.rsplit("/", 1)[1], key=key)
            for key in (once, always, slow)
        ]
        recovered, crashed, timed_out = runs.wait(d, uploads, timeout=300)

    assert recovered.status == "SUCCEEDED", recovered
    assert recovered.students[0]["name"] == EXPECTED["test_0.mp4"][0]
    ((error, cause),) = task_failures(d, recovered.arn)
    assert error == "Lambda.Unknown" and cause.startswith(UNKNOWN_CAUSE)
    assert cause.endswith('Error: Runtime exited with error: signal: killed"}')

    assert crashed.status == "FAILED" and crashed.error["error"] == "Lambda.Unknown", crashed
    assert failed_tasks(d, crashed.arn) == ["Lambda.Unknown", "Lambda.Unknown"]  # retried once
    report = error_report(d, always)
    assert report["step"] == "RecognizeFaces" and report["error"] == "Lambda.Unknown"
    assert report["cause"].endswith("Runtime exited with error: signal: killed")  # the payload's message
    assert "more memory" in report["hint"] and "Timeout" not in report["hint"]

    assert timed_out.status == "FAILED" and timed_out.error["error"] == "Lambda.Unknown", timed_out
    failures = task_failures(d, timed_out.arn)
    assert [error for error, _ in failures] == ["Lambda.Unknown", "Lambda.Unknown"]
    assert all("Task timed out after 5." in cause for _, cause in failures)
    report = error_report(d, slow)
    assert report["step"] == "WriteCsv" and "Task timed out after 5." in report["cause"]
    assert "Timeout" in report["hint"] and "killed" not in report["hint"]


def test_named_timeouts_and_a_client_timeout_of_step_functions(stack):
    d = stack.deployment
    slow, hiccup = "named/slow/test_7.mp4", "named/hiccup/test_1.mp4"
    client_timeout = FirstAttemptFaults("client-timeout", {hiccup})
    with injected(
        stack,
        "named",
        WriteCsvFunction=Always("timeout", {slow}),
        ExtractFramesFunction=client_timeout,
    ):
        uploads = [
            runs.upload(d, SAMPLES / "videos" / key.rsplit("/", 1)[1], key=key) for key in (slow, hiccup)
        ]
        timed_out, recovered = runs.wait(d, uploads, timeout=300)

    assert timed_out.status == "FAILED" and timed_out.error["error"] == "Sandbox.Timedout", timed_out
    failures = task_failures(d, timed_out.arn)
    assert [error for error, _ in failures] == ["Sandbox.Timedout", "Sandbox.Timedout"]
    report = error_report(d, slow)
    assert report["cause"].endswith("Error: Task timed out after 5.00 seconds")
    assert "Timeout" in report["hint"]

    assert client_timeout.hit == client_timeout.chosen
    assert recovered.status == "SUCCEEDED", recovered
    assert recovered.students[0]["name"] == EXPECTED["test_1.mp4"][0]
    ((error, cause),) = task_failures(d, recovered.arn)
    assert error == "Lambda.ClientExecutionTimeoutException" and "Status Code: 500" in cause
