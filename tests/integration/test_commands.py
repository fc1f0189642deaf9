"""`classroom up`, `executions` and `view` as a person runs them: separate processes, stopped by signals."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devstack import runs
from devstack.deployment import Deployment
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.stack
# "About a second" (measured: 1.0-1.3 s, most of it Python's own exit); the bound leaves room for a busy host.
STOPS_WITHIN = 5.0


def start(*args: str, sigint_ignored: bool = False) -> tuple[subprocess.Popen, str]:
    """`classroom ARGS` in a new session (as a terminal runs it), and the first URL it prints; with
    ``sigint_ignored``, as a script's background job starts it: SIGINT ignored, inherited from its shell."""
    command = [sys.executable, "-m", "devstack.cli", *args]
    if sigint_ignored:
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    for line in proc.stdout:
        if "http://" in line:
            return proc, next(w for w in line.split() if w.startswith("http://"))
    raise AssertionError(f"`classroom {' '.join(args)}` exited with {proc.wait()} before printing its URL")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the stack's Lambda workers and multiprocessing's helper)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def stop(proc: subprocess.Popen, how: signal.Signals) -> float:
    """Send ``how`` as a terminal would (Ctrl-C goes to the whole process group); seconds until it exited."""
    started = time.monotonic()
    if how == signal.SIGINT:
        os.killpg(proc.pid, how)
    else:
        proc.send_signal(how)
    assert proc.wait(timeout=30) == 0
    return time.monotonic() - started


def gone(pids: list[int], within: float = 5.0) -> list[int]:
    """Which of ``pids`` are still alive after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        if not alive:
            return []
        time.sleep(0.1)
    return alive


def test_up_executions_view_and_stopping(tmp_path):
    up, endpoint = start("up", "--port", "0")
    seconds = 0.0
    try:
        workers = children(up.pid)
        assert len(workers) >= 5  # a warm worker per function
        deployment = Deployment.local(endpoint)
        broken = tmp_path / "broken.mp4"
        broken.write_text("not a video\n")
        uploads = [
            runs.upload(deployment, SAMPLES / "videos" / "test_0.mp4"),
            runs.upload(deployment, broken),
        ]
        good, bad = runs.wait(deployment, uploads, timeout=300)
        assert (good.status, bad.status) == ("SUCCEEDED", "FAILED")

        listed = subprocess.run(
            [sys.executable, "-m", "devstack.cli", "executions", "--endpoint", endpoint],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        lines = {line.split()[5]: line for line in listed.stdout.splitlines()}  # by video key (after the id)
        assert set(lines) == {"test_0.mp4", "broken.mp4"}
        assert (
            "SUCCEEDED" in lines["test_0.mp4"] and "president_trump (physics, junior)" in lines["test_0.mp4"]
        )
        assert "FAILED" in lines["broken.mp4"] and "InvalidVideo: " in lines["broken.mp4"]
        assert "{" not in lines["broken.mp4"]  # the cause's message, not Lambda's JSON error object

        as_json = subprocess.run(
            [sys.executable, "-m", "devstack.cli", "executions", "--json", "--endpoint", endpoint],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        found = {r["video"]: r for r in map(json.loads, as_json.stdout.splitlines())}
        assert found["test_0.mp4"]["students"] == [
            {"name": "president_trump", "major": "physics", "year": "junior"}
        ]
        assert found["test_0.mp4"]["status"] == "SUCCEEDED" and found["test_0.mp4"]["seconds"] > 0
        assert found["broken.mp4"]["error"]["error"] == "InvalidVideo"
        assert found["test_0.mp4"]["arn"] == good.arn

        viewer, url = start("view", "--endpoint", endpoint, "--port", "0")
        with urllib.request.urlopen(url, timeout=30) as response:
            assert "president_trump" in response.read().decode()
        assert stop(viewer, signal.SIGTERM) < STOPS_WITHIN
    finally:
        if up.poll() is None:
            seconds = stop(up, signal.SIGINT)
    assert 0 < seconds < STOPS_WITHIN  # 0: `up` had exited by itself
    assert gone(workers) == []


@pytest.mark.parametrize(
    ("how", "sigint_ignored"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "Ctrl-C", "Ctrl-C, started with SIGINT ignored"],
)
def test_a_view_with_its_own_stack_stops_and_leaves_no_worker(how, sigint_ignored):
    viewer, _ = start("view", "--port", "0", sigint_ignored=sigint_ignored)
    workers = children(viewer.pid)
    assert len(workers) >= 5
    assert stop(viewer, how) < STOPS_WITHIN
    assert gone(workers) == []
