"""`classroom view` in a real headless Chromium: the executions list, and a run's graph, steps and errors."""

import os
import shutil
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
import pytest

from devstack import history, runs, view
from tests.conftest import SAMPLES

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class Dom(HTMLParser):
    """The elements that carry data-* attributes, and the text of each table by id."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.tables: dict[str, str] = {}
        self.text = ""
        self._open: list[str] = []  # ids of the tables we are in
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "table":
            self._open.append(found.get("id", ""))
            self.tables.setdefault(self._open[-1], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        for table in self._open:
            self.tables[table] += data

    def states(self, tag: str) -> dict[str, dict]:
        """data-state → attributes, for the graph's ``g`` nodes or the steps table's ``tr`` rows."""
        return {a["data-state"]: a for t, a in self.elements if t == tag and "data-state" in a}


def chromium(url: str, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url`` with a fresh profile, kept off the network."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: these tests drive a real browser. "
            "`make test` installs Debian's chromium, or give CHROMIUM=/path/to/chrome."
        )
    profile = tmp_path / f"chromium-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *flags,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def browse(url: str, tmp_path: Path) -> Dom:
    """The page's DOM as headless Chromium built it."""
    proc = chromium(url, tmp_path, "--dump-dom")
    assert proc.returncode == 0 and "</html>" in proc.stdout, proc.stderr[-2000:]
    return Dom(proc.stdout)


def screenshot(url: str, tmp_path: Path, name: str, size: tuple[int, int] = (1600, 1000)) -> np.ndarray:
    """A PNG of the page as Chromium paints it (copied to $SCREENSHOTS, if set, for the README)."""
    target = tmp_path / name
    proc = chromium(url, tmp_path, f"--screenshot={target}", f"--window-size={size[0]},{size[1]}")
    assert proc.returncode == 0 and target.exists(), proc.stderr[-2000:]
    if folder := os.environ.get("SCREENSHOTS"):
        shutil.copy(target, Path(folder) / name)
    image = cv2.imread(str(target))
    assert image is not None and image.shape[:2] == (size[1], size[0])
    return image


@pytest.fixture(scope="module")
def outcomes(stack, tmp_path_factory):
    """One good sample clip and one bad upload (a text file named broken.mp4), run to the end."""
    broken = tmp_path_factory.mktemp("view") / "broken.mp4"
    broken.write_text("this is not a video\n")
    uploads = [
        runs.upload(stack.deployment, SAMPLES / "videos" / "test_4.mp4", key="view/test_4.mp4"),
        runs.upload(stack.deployment, broken, key="view/broken.mp4"),
    ]
    good, bad = runs.wait(stack.deployment, uploads, timeout=300)
    assert good.status == "SUCCEEDED", good
    assert bad.status == "FAILED" and bad.error["error"] == "InvalidVideo", bad
    return good, bad


def page(site: str, execution_arn: str) -> str:
    return f"{site}execution?arn={quote(execution_arn, safe='')}"


@pytest.mark.stack
def test_list_page_shows_both_executions(outcomes, site, tmp_path):
    good, bad = outcomes
    dom = browse(site, tmp_path)
    listed = {a["data-arn"]: a["data-status"] for t, a in dom.elements if t == "tr" and "data-arn" in a}
    assert listed[good.arn] == "SUCCEEDED"
    assert listed[bad.arn] == "FAILED"
    text = dom.tables["executions"]
    assert "view/test_4.mp4" in text and "view/broken.mp4" in text
    assert "InvalidVideo" in text
    students = [row.split("johnny_dep")[0] for row in text.split("view/") if "johnny_dep" in row]
    assert students == ["test_4.mp4"], text  # the students column: on the good run's row, not the bad one's
    links = [a.get("href", "") for t, a in dom.elements if t == "a"]
    assert f"/execution?arn={quote(bad.arn, safe='')}" in links


@pytest.mark.stack
def test_failed_execution_shows_the_caught_error_and_the_failure_path(outcomes, site, tmp_path):
    _, bad = outcomes
    dom = browse(page(site, bad.arn), tmp_path)
    assert any(t == "svg" and "graph" in a.get("class", "") for t, a in dom.elements)
    graph = {name: a["data-status"] for name, a in dom.states("g").items()}
    assert set(graph) == {
        "ExtractFrames",
        "IsLecture",
        "RecognizeSegments",
        "MergeSegments",
        "RecognizeFaces",
        "MoreFrames",
        "ExtractMoreFrames",
        "UseMoreFrames",
        "LookupStudents",
        "WriteCsv",
        "RecordAttendance",
        "Done",
        "ReportFailure",
        "Failed",
        "FailedWithoutReport",
    }
    assert graph["ExtractFrames"] == "caught"
    assert graph["ReportFailure"] == "succeeded"
    assert graph["Failed"] == "failed"
    for name in set(graph) - {"ExtractFrames", "ReportFailure", "Failed"}:
        assert graph[name] == "not-reached", name
    edges = {
        (a["data-from"], a["data-to"], a["data-kind"]): a["class"]
        for t, a in dom.elements
        if t == "path" and "data-from" in a
    }
    assert "taken" in edges[("ExtractFrames", "ReportFailure", "catch")].split()
    assert "taken" in edges[("ReportFailure", "Failed", "next")].split()
    assert "taken" not in edges[("ExtractFrames", "IsLecture", "next")].split()

    rows = dom.states("tr")
    assert list(rows) == ["ExtractFrames", "ReportFailure", "Failed"]
    assert [r["data-status"] for r in rows.values()] == ["caught", "succeeded", "failed"]
    steps = dom.tables["steps"]
    assert "InvalidVideo" in steps and "OpenCV cannot open it as a video" in steps


@pytest.mark.stack
def test_succeeded_execution_is_green_along_the_happy_path(stack, outcomes, site, tmp_path):
    good, _ = outcomes
    dom = browse(page(site, good.arn), tmp_path)
    graph = {name: a["data-status"] for name, a in dom.states("g").items()}
    happy_path = [
        "ExtractFrames",
        "IsLecture",
        "RecognizeFaces",
        "MoreFrames",
        "LookupStudents",
        "WriteCsv",
        "RecordAttendance",
        "Done",
    ]
    for name in happy_path:
        assert graph[name] == "succeeded", name
    not_reached = (
        "ExtractMoreFrames",
        "UseMoreFrames",
        "RecognizeSegments",
        "MergeSegments",
        "ReportFailure",
    )
    for name in (*not_reached, "Failed", "FailedWithoutReport"):
        assert graph[name] == "not-reached", name  # two frames settled test_4: no second batch
    assert "johnny_dep (computer_science, senior)" in dom.text
    assert list(dom.states("tr")) == happy_path

    (img,) = [a for t, a in dom.elements if t == "img" and "frame" in a.get("class", "")]
    assert img["src"] == f"/frame?arn={quote(good.arn, safe='')}"
    with urllib.request.urlopen(site + img["src"].lstrip("/")) as response:
        assert response.headers["Content-Type"] == "image/jpeg"
        served = cv2.imdecode(np.frombuffer(response.read(), np.uint8), cv2.IMREAD_COLOR)
    d = stack.deployment
    stored = d.client("s3").get_object(Bucket=d["ArtifactsBucketName"], Key=good.annotated_key)["Body"].read()
    assert served.shape == cv2.imdecode(np.frombuffer(stored, np.uint8), cv2.IMREAD_COLOR).shape
    shot = screenshot(page(site, good.arn), tmp_path, "view-succeeded.png")
    assert shot.std() > 20  # painted: graph, facts and the frame, not a blank page


@pytest.mark.stack
def test_list_and_failed_pages_render(outcomes, site, tmp_path):
    """What the README shows: the list with its students column, and a failed run's page."""
    _, bad = outcomes
    assert screenshot(site, tmp_path, "view-list.png", (1600, 420)).std() > 10
    assert screenshot(page(site, bad.arn), tmp_path, "view.png").std() > 10


def test_retried_attempts_are_visible():
    """A Task that failed twice and then succeeded: three attempts on its node and in its row."""
    t0 = datetime(2024, 1, 1, tzinfo=UTC)

    def event(n: int, kind: str, **details) -> dict:
        key = f"{kind[0].lower()}{kind[1:]}EventDetails"
        return {"id": n, "type": kind, "timestamp": t0 + timedelta(seconds=n), key: details}

    events = [
        event(1, "ExecutionStarted", input="{}"),
        event(2, "TaskStateEntered", name="Work", input="{}"),
        event(3, "LambdaFunctionScheduled"),
        event(4, "LambdaFunctionFailed", error="Lambda.ServiceException", cause="try again"),
        event(5, "LambdaFunctionScheduled"),
        event(6, "LambdaFunctionFailed", error="Lambda.TooManyRequestsException", cause="slow down"),
        event(7, "LambdaFunctionScheduled"),
        event(8, "LambdaFunctionSucceeded", output="{}"),
        event(9, "TaskStateExited", name="Work", output="{}"),
        event(10, "SucceedStateEntered", name="End", input="{}"),
        event(11, "SucceedStateExited", name="End", output="{}"),
        event(12, "ExecutionSucceeded", output="{}"),
    ]
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "fn",
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Next": "End",
            },
            "End": {"Type": "Succeed"},
        },
    }
    execution = {
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:retried",
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
        "name": "retried",
        "status": "SUCCEEDED",
        "startDate": t0,
        "stopDate": t0 + timedelta(seconds=12),
        "input": "{}",
    }
    dom = Dom(view.execution_page(execution, definition, events))
    work = dom.states("g")["Work"]
    assert work["data-status"] == "succeeded" and work["data-attempts"] == "3"
    steps = dom.tables["steps"]
    assert "attempt 1" in steps and "Lambda.ServiceException" in steps
    assert "Lambda.TooManyRequestsException" in steps and "attempt 3" in steps
    steps_, end = history.timeline(events)
    assert [c.error for c in steps_[0].calls] == [
        "Lambda.ServiceException",
        "Lambda.TooManyRequestsException",
        None,
    ]
    text = history.render(steps_, end)  # `classroom history` still reads the same timeline
    assert "Work" in text and "execution SUCCEEDED" in text
