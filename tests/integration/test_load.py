"""100 uploads at once with faults injected into the Lambdas: every one still ends right, once."""

import csv
import io
import itertools
import json
import threading
from urllib.parse import unquote_plus

import pytest

from devstack import runs
from tests.conftest import EXPECTED, SAMPLES

pytestmark = pytest.mark.stack
PREFIX = "load/"


def upload_key(event: dict) -> str | None:
    """The upload an invocation works on, whatever the step's input looks like."""
    if "detail" in event:
        return unquote_plus(event["detail"]["object"]["key"])
    return event.get("video", {}).get("key")


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


def test_100_uploads_with_throttling_and_a_timeout(stack):
    d = stack.deployment
    names = list(itertools.islice(itertools.cycle(EXPECTED), 100))
    keys = [f"{PREFIX}{i:03d}-{name}" for i, name in enumerate(names)]
    faults = {
        "ExtractFramesFunction": FirstAttemptFaults("throttle", set(keys[::5])),  # 20 % of first attempts
        "RecognizeFacesFunction": FirstAttemptFaults("throttle", set(keys[2::10])),  # 10 %
        "WriteCsvFunction": FirstAttemptFaults("timeout", {keys[43]}),  # one step times out once
    }
    for function, fault in faults.items():
        stack.pool(function).faults = fault
    try:
        threads_results: dict[int, runs.Upload] = {}

        def send(i: int) -> None:
            threads_results[i] = runs.upload(d, SAMPLES / "videos" / names[i], key=keys[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes = runs.wait(d, [threads_results[i] for i in range(100)], timeout=900)
    finally:
        for function in faults:
            stack.pool(function).faults = None

    for fault in faults.values():
        assert fault.hit == fault.chosen, "every planned fault was injected"
    s3 = d.client("s3")
    for name, key, result in zip(names, keys, outcomes, strict=True):
        student, major, year = EXPECTED[name]
        assert result.status == "SUCCEEDED", (key, result)
        body = s3.get_object(Bucket=d["OutputBucketName"], Key=result.output_key)["Body"].read().decode()
        assert list(csv.DictReader(io.StringIO(body))) == [{"name": student, "major": major, "year": year}]

    sfn = d.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=d["StateMachineArn"])
    inputs = [
        json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
        for page in pages
        for e in page["executions"]
    ]
    started = [k for k in (upload_key(i) for i in inputs) if k and k.startswith(PREFIX)]
    assert sorted(started) == sorted(keys), "exactly one execution per upload"
    listed = s3.list_objects_v2(Bucket=d["OutputBucketName"], Prefix=f"errors/{PREFIX}")
    assert listed.get("KeyCount", 0) == 0, "nothing in errors/"

    timed_out = next(r for k, r in zip(keys, outcomes, strict=True) if k == keys[43])
    events = sfn.get_execution_history(executionArn=timed_out.execution_arn)["events"]
    errors = [e.get("taskFailedEventDetails", {}).get("error") for e in events if e["type"] == "TaskFailed"]
    assert errors == ["Sandbox.Timedout"], "the timed-out step was retried once, and succeeded"
