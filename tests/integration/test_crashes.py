"""Lambda runtimes that die under the function: killed mid-invocation, or crashing on every attempt.

A crash is retried once (``Runtime.ExitError``, ``Runtime.OutOfMemory``, ``Lambda.Unknown``), so a
sandbox that dies once loses no run; one that dies again ends the run with a report that says so.
"""

import csv
import io
import itertools
import json
import os
import random
import signal
import threading
import time

import pytest

from classroom_common import keys
from devstack import runs
from tests.conftest import EXPECTED, SAMPLES
from tests.faults import executed_keys, failed_tasks, upload_key

pytestmark = pytest.mark.stack
KILLED = ("ExtractFramesFunction", "RecognizeFacesFunction", "LookupStudentsFunction", "WriteCsvFunction")


class Killer(threading.Thread):
    """SIGKILL a busy worker of a random function every ``every`` seconds, ``count`` times in all,
    never the same upload's step twice (the retry must be allowed to succeed)."""

    def __init__(self, stack, prefix: str, count: int, every: float, seed: int = 7) -> None:
        super().__init__(daemon=True)
        self.stack, self.prefix, self.count, self.every = stack, prefix, count, every
        self.random = random.Random(seed)
        self.killed: list[tuple[str, str]] = []  # (function, upload key)
        self.done = threading.Event()

    def run(self) -> None:
        while len(self.killed) < self.count and not self.done.wait(self.every):
            deadline = time.monotonic() + self.every
            while time.monotonic() < deadline and not self.done.is_set():
                busy = [
                    (function, pid, key)
                    for function in KILLED
                    for pid, event in self.stack.pool(function).running()
                    if (key := upload_key(event) or "").startswith(self.prefix)
                    and (function, key) not in self.killed
                ]
                if busy:
                    function, pid, key = self.random.choice(busy)
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append((function, key))
                    break
                time.sleep(0.02)


def read_csv(d, key: str) -> list[dict]:
    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=key)["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_workers_killed_during_a_burst_lose_no_run(stack):
    d = stack.deployment
    prefix = "crash/burst/"
    names = list(itertools.islice(itertools.cycle(EXPECTED), 24))
    killer = Killer(stack, prefix, count=4, every=1.0)
    killer.start()
    try:
        uploads = [
            runs.upload(d, SAMPLES / "videos" / name, key=f"{prefix}{i:02d}-{name}")
            for i, name in enumerate(names)
        ]
        outcomes = runs.wait(d, uploads, timeout=600)
    finally:
        killer.done.set()
        killer.join()

    assert len(killer.killed) >= 3, killer.killed  # the burst may end before the fourth
    for name, upload, result in zip(names, uploads, outcomes, strict=True):
        student, major, year = EXPECTED[name]
        assert result.status == "SUCCEEDED", (upload.key, result)
        assert read_csv(d, result.output_key) == [{"name": student, "major": major, "year": year}]
    killed_keys = {key for _, key in killer.killed}
    for upload, result in zip(uploads, outcomes, strict=True):
        crashes = failed_tasks(d, result.arn).count("Runtime.ExitError")
        assert crashes == (1 if upload.key in killed_keys else 0), upload.key

    started = executed_keys(d, prefix)
    assert sorted(started) == sorted(u.key for u in uploads), "exactly one execution per upload"
    listed = d.client("s3").list_objects_v2(Bucket=d["OutputBucketName"], Prefix=f"errors/{prefix}")
    assert listed.get("KeyCount", 0) == 0


def test_a_step_that_crashes_every_time_fails_its_run_clearly_and_only_its_run(stack):
    d = stack.deployment
    doomed = "crash/always/test_5.mp4"
    pool = stack.pool("RecognizeFacesFunction")
    pool.faults = lambda event: "crash" if upload_key(event) == doomed else None
    try:
        uploads = [runs.upload(d, SAMPLES / "videos" / "test_5.mp4", key=doomed)] + [
            runs.upload(d, SAMPLES / "videos" / name, key=f"crash/fine/{name}")
            for name in ("test_0.mp4", "test_8.mp4")
        ]
        bad, *good = runs.wait(d, uploads, timeout=300)
    finally:
        pool.faults = None

    assert bad.status == "FAILED" and bad.error["error"] == "Runtime.ExitError", bad
    assert failed_tasks(d, bad.arn) == ["Runtime.ExitError", "Runtime.ExitError"]  # tried twice
    report = json.loads(
        d.client("s3")
        .get_object(Bucket=d["OutputBucketName"], Key=keys.error_report_key(doomed))["Body"]
        .read()
    )
    assert report["step"] == "RecognizeFaces" and report["error"] == "Runtime.ExitError"
    assert "Runtime exited with error: signal: killed" in report["cause"]
    assert "more memory" in report["hint"]
    for result, name in zip(good, ("test_0.mp4", "test_8.mp4"), strict=True):
        assert result.status == "SUCCEEDED"
        assert read_csv(d, result.output_key)[0]["name"] == EXPECTED[name][0]
