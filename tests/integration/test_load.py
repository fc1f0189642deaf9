"""100 uploads at once with faults injected into the Lambdas: every one still ends right, once.

The faults: a burst of throttling at the start for a fifth of the uploads — every invocation of theirs
refused for ``BURST`` seconds, longer than the old retrier's longest wait (25 s), so each is throttled
several times in a row, about half of them more often than the old retrier allowed — while the others
run; throttling on a share of first attempts; five WriteCsv runtimes killed and one WriteCsv invocation
timing out.
"""

import csv
import io
import itertools
import threading

import pytest

from devstack import runs
from tests.conftest import EXPECTED, SAMPLES
from tests.faults import Burst, Faults, FirstAttemptFaults, executed_keys, failed_tasks

pytestmark = pytest.mark.stack
PREFIX = "load/"
BURST = 30  # seconds in which Lambda refuses every invocation (TooManyRequestsException)
OLD_MAX_ATTEMPTS = 5  # the retrier throttling had before: a run throttled 6 times in a row failed


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
    burst = Burst(BURST, set(keys[4::5]))  # the account's concurrency, one for every function
    for function, fault in faults.items():
        stack.pool(function).faults = Faults(burst, fault)
    stack.pool("WriteCsvFunction").faults = Faults(burst, faults["WriteCsvFunction"], crashes)
    stack.pool("LookupStudentsFunction").faults = burst
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
        for function in [*faults, "LookupStudentsFunction"]:
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

    def unthrottled(key: str) -> list[str]:
        return [error for error in failed(key) if error != "Lambda.TooManyRequestsException"]

    assert unthrottled(keys[43]) == ["Sandbox.Timedout"], "timed out once, then succeeded"
    assert unthrottled(keys[21]) == ["Runtime.ExitError"], "crashed once, then succeeded"

    throttles = [failed(key).count("Lambda.TooManyRequestsException") for key in sorted(burst.chosen)]
    assert min(throttles) >= 3, "every run in the burst waited it out"
    beyond = sum(count > OLD_MAX_ATTEMPTS for count in throttles)
    assert beyond >= 3, f"only {beyond} runs were throttled more often than the old retrier allowed"
    print(
        f"burst: {burst.throttled} throttles, {min(throttles)}..{max(throttles)} a run, "
        f"{beyond} of {len(throttles)} runs more than {OLD_MAX_ATTEMPTS} times"
    )
