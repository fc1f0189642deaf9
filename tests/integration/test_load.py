"""100 uploads at once with faults injected into the Lambdas: every one still ends right, once."""

import csv
import io
import itertools
import threading

import pytest

from devstack import runs
from tests.conftest import EXPECTED, SAMPLES
from tests.faults import Faults, FirstAttemptFaults, executed_keys, failed_tasks

pytestmark = pytest.mark.stack
PREFIX = "load/"


def test_100_uploads_with_throttling_crashes_and_a_timeout(stack):
    d = stack.deployment
    names = list(itertools.islice(itertools.cycle(EXPECTED), 100))
    keys = [f"{PREFIX}{i:03d}-{name}" for i, name in enumerate(names)]
    faults = {
        "ExtractFramesFunction": FirstAttemptFaults("throttle", set(keys[::5])),  # 20 % of first attempts
        "RecognizeFacesFunction": FirstAttemptFaults("throttle", set(keys[2::10])),  # 10 %
        "WriteCsvFunction": FirstAttemptFaults("timeout", {keys[43]}),  # one step times out once
    }
    crashes = FirstAttemptFaults("crash", set(keys[1::20]))  # 5 WriteCsv runtimes killed
    for function, fault in faults.items():
        stack.pool(function).faults = fault
    stack.pool("WriteCsvFunction").faults = Faults(faults["WriteCsvFunction"], crashes)
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

    for fault in [*faults.values(), crashes]:
        assert fault.hit == fault.chosen, "every planned fault was injected"
    s3 = d.client("s3")
    for name, key, result in zip(names, keys, outcomes, strict=True):
        student, major, year = EXPECTED[name]
        assert result.status == "SUCCEEDED", (key, result)
        body = s3.get_object(Bucket=d["OutputBucketName"], Key=result.output_key)["Body"].read().decode()
        assert list(csv.DictReader(io.StringIO(body))) == [{"name": student, "major": major, "year": year}]

    started = executed_keys(d, PREFIX)
    assert sorted(started) == sorted(keys), "exactly one execution per upload"
    listed = s3.list_objects_v2(Bucket=d["OutputBucketName"], Prefix=f"errors/{PREFIX}")
    assert listed.get("KeyCount", 0) == 0, "nothing in errors/"

    def failed(key: str) -> list[str]:
        return failed_tasks(d, next(r for k, r in zip(keys, outcomes, strict=True) if k == key).arn)

    assert failed(keys[43]) == ["Sandbox.Timedout"], "timed out once, then succeeded"
    assert failed(keys[21]) == ["Runtime.ExitError"], "crashed once, then succeeded"
