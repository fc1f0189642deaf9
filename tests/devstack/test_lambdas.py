"""The local stack's worker pools: warm reuse, timeouts, and workers that die."""

import json
import os
import re
import signal
import threading
import time

from devstack.lambdas import FunctionPool
from devstack.template import FunctionSpec

HANDLER = """
import os, sys, time
STARTED = time.time()
def lambda_handler(event, context):
    if event.get("exit"):
        sys.exit(3)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("log line")
    return {"pid": os.getpid(), "started": STARTED, "remaining_ms": context.get_remaining_time_in_millis()}
"""


def pool(tmp_path, timeout: int = 2) -> FunctionPool:
    (tmp_path / "app.py").write_text(HANDLER)
    spec = FunctionSpec("Fn", "fn", tmp_path, "app.lambda_handler", timeout, 128, {}, ())
    return FunctionPool(spec, {}, max_workers=1, log_file=tmp_path / "fn.log")


def test_a_warm_worker_serves_again_and_its_logs_are_kept(tmp_path):
    fn = pool(tmp_path)
    try:
        first, second = fn.invoke({}), fn.invoke({})
    finally:
        fn.close()
    assert not first.errored and not second.errored
    one, two = json.loads(first.payload), json.loads(second.payload)
    assert one["pid"] == two["pid"] and one["started"] == two["started"]  # the same warm container
    assert 0 < one["remaining_ms"] <= 2000
    assert "log line" in first.logs and (tmp_path / "fn.log").read_text().count("log line") == 2


def test_a_timeout_kills_the_worker_and_the_next_invocation_gets_a_new_one(tmp_path):
    fn = pool(tmp_path, timeout=1)
    try:
        before = json.loads(fn.invoke({}).payload)["pid"]
        timed_out = fn.invoke({"sleep": 5})
        after = fn.invoke({})
    finally:
        fn.close()
    error = json.loads(timed_out.payload)
    assert timed_out.errored and error["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        r"RequestId: [0-9a-f-]{36} Error: Task timed out after 1.00 seconds", error["errorMessage"]
    )
    assert not after.errored and json.loads(after.payload)["pid"] != before


def test_a_worker_that_exits_frees_its_place_in_the_pool(tmp_path):
    fn = pool(tmp_path)
    try:
        results = [fn.invoke({"exit": True}), fn.invoke({"exit": True}), fn.invoke({})]
    finally:
        fn.close()
    for died in results[:2]:
        error = json.loads(died.payload)
        assert (
            died.errored and error["errorType"] == "Runtime.ExitError" and "status 3" in error["errorMessage"]
        )
    assert not results[2].errored  # with max_workers=1, a leaked slot would block here forever


def test_a_killed_worker_is_reported_as_lambda_reports_a_crashed_runtime_and_replaced(tmp_path):
    fn = pool(tmp_path, timeout=10)
    try:
        answers = []
        invocation = threading.Thread(target=lambda: answers.append(fn.invoke({"sleep": 5})))
        invocation.start()
        deadline = time.monotonic() + 10
        while not fn.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        ((pid, event),) = fn.running()
        assert event == {"sleep": 5}
        os.kill(pid, signal.SIGKILL)  # what a sandbox dying under the function looks like
        invocation.join()
        fn.faults = lambda event: "crash" if event.get("crash") else None
        crashed = fn.invoke({"crash": True})
        after = fn.invoke({})
    finally:
        fn.close()
    for died in (answers[0], crashed):
        error = json.loads(died.payload)
        assert died.errored and error["errorType"] == "Runtime.ExitError"
        assert re.fullmatch(
            r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed",
            error["errorMessage"],
        )
    assert not after.errored and json.loads(after.payload)["pid"] != pid


def test_with_unknown_errors_a_crash_and_a_timeout_come_back_without_an_error_type(tmp_path):
    """What Lambda returns when Step Functions reports ``Lambda.Unknown``: only a message, AWS's text."""
    fn = pool(tmp_path, timeout=1)
    fn.errors = "unknown"
    fn.faults = lambda event: "crash" if event.get("crash") else None
    try:
        crashed, timed_out = fn.invoke({"crash": True}), fn.invoke({"sleep": 5})
    finally:
        fn.close()
    for result in (crashed, timed_out):
        assert result.errored and set(json.loads(result.payload)) == {"errorMessage"}
    assert re.fullmatch(
        r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed",
        json.loads(crashed.payload)["errorMessage"],
    )
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f-]{36} Task timed out after 1\.\d\d seconds",
        json.loads(timed_out.payload)["errorMessage"],
    )
