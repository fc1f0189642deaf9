"""Faults injected into the local stack's Lambdas, and what the tests that inject them check: every
upload still ends right, in exactly one execution."""

import json
import threading
import time
from collections.abc import Callable
from urllib.parse import unquote_plus

from devstack import invoke, runs
from devstack.deployment import Deployment


def upload_key(event: dict) -> str | None:
    """The upload an invocation works on, whatever the step's input looks like (the execution's input
    is the S3 event; a state's input has it as ``upload``, or the ``video`` in itself or its ``batch``)."""
    if "detail" in event:
        return unquote_plus(event["detail"]["object"]["key"])
    video = invoke.referenced_video(event)
    return video["key"] if video else None


class FirstAttemptFaults:
    """Inject ``kind`` into the first invocation for each chosen upload, then let retries through."""

    def __init__(self, kind: str, chosen: set[str]) -> None:
        self.kind, self.chosen, self.hit = kind, chosen, set()
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> str | None:
        key = upload_key(event)
        with self._lock:
            if key in self.chosen and key not in self.hit:
                self.hit.add(key)
                return self.kind
        return None


class Burst:
    """Throttle every invocation for the chosen uploads for ``seconds`` from the first one, then none: a
    burst in which the account's Lambda concurrency is used up (by a flood of uploads, or by something
    else in the account). One instance is shared by the functions it throttles, as the quota is."""

    def __init__(self, seconds: float, chosen: set[str]) -> None:
        self.seconds, self.chosen, self.started, self.throttled = seconds, chosen, None, 0
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> str | None:
        if upload_key(event) not in self.chosen:
            return None
        with self._lock:
            now = time.monotonic()
            self.started = self.started if self.started is not None else now
            if now - self.started < self.seconds:
                self.throttled += 1
                return "throttle"
        return None


class Faults:
    """Several kinds of faults in one function: the first that applies to an invocation is injected."""

    def __init__(self, *faults: Callable[[dict], str | None]) -> None:
        self.faults = faults

    def __call__(self, event: dict) -> str | None:
        return next((kind for fault in self.faults if (kind := fault(event))), None)


def executed_keys(deployment: Deployment, prefix: str) -> list[str]:
    """The upload key of every execution whose upload is under ``prefix`` (one per upload, if all is well)."""
    sfn = deployment.client("stepfunctions")
    inputs = (
        json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
        for e in runs.executions(deployment)
    )
    return [key for key in map(upload_key, inputs) if key and key.startswith(prefix)]


def failed_tasks(deployment: Deployment, execution_arn: str) -> list[str]:
    """The error of each failed attempt of a Task in one execution, in order."""
    sfn = deployment.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
