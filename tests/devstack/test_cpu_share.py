"""A worker held to Lambda's CPU share: never more CPU than its share over wall time, so CPU-bound work
takes 1/share as long. Only bounds that a busy host cannot break are checked (it can only slow the work
further)."""

import json
import subprocess
import sys
import time

import pytest

from devstack.cpu_share import MB_PER_VCPU, PERIOD, cpu_seconds, held_to, lambda_share
from devstack.lambdas import FunctionPool
from devstack.template import FunctionSpec

HANDLER = """
import time
def lambda_handler(event, context):
    cpu, wall = time.process_time(), time.monotonic()
    while time.process_time() - cpu < event.get("cpu", 0) or time.monotonic() - wall < event.get("wall", 0):
        pass
    return {"cpu": time.process_time() - cpu, "wall": time.monotonic() - wall}
"""


def test_lambdas_share_follows_memory_size():
    assert lambda_share(MB_PER_VCPU) == 1.0
    assert round(lambda_share(1024), 3) == 0.579  # ExtractFrames and RecognizeFaces
    assert round(lambda_share(512), 3) == 0.289  # the other functions


@pytest.fixture
def pool(tmp_path):
    (tmp_path / "app.py").write_text(HANDLER)
    spec = FunctionSpec("Fn", "fn", tmp_path, "app.lambda_handler", 30, 708, {}, ())  # 708 MB: 0.4 vCPU
    fn = FunctionPool(spec, {}, max_workers=1, log_file=None)
    fn.cpu_share = lambda_share(spec.memory)
    yield fn
    fn.close()


def test_cpu_bound_work_takes_one_over_the_share_as_long(pool):
    share = pool.cpu_share
    result = json.loads(pool.invoke({"cpu": 0.4}).payload)
    assert result["wall"] >= 0.4 / share - PERIOD - 0.02, result  # about 1.0 s for 0.4 CPU-seconds


def test_a_busy_worker_never_gets_more_than_its_share(pool):
    share = pool.cpu_share
    result = json.loads(pool.invoke({"wall": 1.5}).payload)
    assert result["cpu"] <= share * result["wall"] + share * PERIOD + 0.05, result


def test_any_process_can_be_held_from_outside():
    """``held_to`` needs no cooperation and no privileges: a busy loop in another process, held to a
    quarter of a core."""
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        cpu, wall = cpu_seconds(child.pid), time.monotonic()
        with held_to(child.pid, 0.25):
            time.sleep(1.2)
        used, took = cpu_seconds(child.pid) - cpu, time.monotonic() - wall
    finally:
        child.kill()
        child.wait()
    assert used <= 0.25 * took + 0.25 * PERIOD + 0.05, (used, took)
