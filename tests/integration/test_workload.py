"""`classroom workload`: many uploads at once, checked against the course mapping, with figures."""

import re
import uuid
from pathlib import Path

import pytest

from devstack import cli, runs, workload
from devstack.mistakes import Mistake
from tests.conftest import SAMPLES

VIDEOS = SAMPLES / "videos"
MAPPING = SAMPLES / "mapping"


def test_course_plan_follows_the_mapping():
    mapping = workload.read_mapping(MAPPING)
    jobs = workload.jobs_for(workload.clips(VIDEOS), 100, mapping, prefix="p/")
    keys = [j.key for j in jobs]
    assert keys[:9] == [f"p/test_{n}.mp4" for n in (0, 1, 2, 4, 5, 6, 7, 8, 9)]
    assert keys[-1] == "p/test_100.mp4"
    assert {k.removeprefix("p/") for k in keys} == set(mapping)
    clip = {j.key.removeprefix("p/"): j.path.name for j in jobs}
    assert clip["test_9.mp4"] == "test_0.mp4"  # the cycle 0,1,2,4,5,6,7,8
    assert clip["test_16.mp4"] == "test_8.mp4"
    assert clip["test_100.mp4"] == "test_2.mp4"  # the mapping labels it mr_bean's, not the cycle's johnny_dep
    for name, path in clip.items():
        assert mapping[name] == mapping[path]


def test_other_clips_are_numbered_by_stem(tmp_path):
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"")
    jobs = workload.jobs_for(workload.clips(tmp_path), 3)
    assert [(j.key, j.path.name) for j in jobs] == [
        ("a-0.mp4", "a.mp4"),
        ("b-1.mp4", "b.mp4"),
        ("a-2.mp4", "a.mp4"),
    ]


def succeeded(students: list[dict], seconds: float) -> runs.Outcome:
    return runs.Outcome(
        arn="",
        name="",
        video="",
        status="SUCCEEDED",
        started=None,
        seconds=seconds,
        students=students,
        unknown_faces=0,
        error=None,
        output_key="",
        annotated_key=None,
        file="v",
    )


def test_check_treats_freshman_as_freshmen():
    uploads = [
        runs.Upload("test_2.mp4", "x/test_11.mp4", "e"),
        runs.Upload("test_0.mp4", "x/test_9.mp4", "e"),
    ]
    outcomes = [
        succeeded([{"name": "mr_bean", "major": "lawyer", "year": "freshmen"}], 1.0),
        succeeded([{"name": "floki", "major": "history", "year": "junior"}], 3.0),
    ]
    checks = workload.check_outcomes(uploads, outcomes, workload.read_mapping(MAPPING))
    assert [c.correct for c in checks] == [True, False]
    report = workload.report(checks, outcomes, wall_seconds=4.0)
    assert (report.correct, report.checked, report.throughput) == (1, 2, 0.5)
    assert report.wrong[0]["key"] == "x/test_9.mp4"


def test_percentile_interpolates():
    assert workload.percentile([3, 1, 2, 4], 50) == 2.5
    assert workload.percentile(list(range(101)), 95) == 95
    assert workload.percentile([7.0], 95) == 7.0
    assert workload.latency([1.0, 2.0, 3.0])["max"] == 3.0


@pytest.mark.stack
def test_workload_cli_on_the_local_stack(stack, capsys):
    prefix = f"workload-{uuid.uuid4().hex[:8]}/"
    args = ["--videos", str(VIDEOS), "--count", "10", "--mapping", str(MAPPING), "--prefix", prefix]
    code = cli.main(["workload", "--endpoint", stack.endpoint, *args, "--timeout", "600"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"keys {prefix}test_0.mp4 … {prefix}test_10.mp4" in out
    assert "accuracy    10/10 correct (100.0%)" in out
    assert '"freshman" counts as the student table\'s "freshmen"' in out
    rate, videos, wall = re.search(
        r"throughput  ([\d.]+) videos/s \((\d+) videos in ([\d.]+) s wall\)", out
    ).groups()
    assert int(videos) == 10
    assert float(wall) > 0
    assert float(rate) == pytest.approx(10 / float(wall), rel=0.05, abs=0.01)
    p50, p95, top = map(
        float, re.search(r"latency     p50 ([\d.]+) s  p95 ([\d.]+) s  max ([\d.]+) s", out).groups()
    )
    assert 0 < p50 <= p95 <= top <= float(wall)
    assert "failed      0" in out


def test_clips_rejects_an_empty_folder(tmp_path: Path):
    with pytest.raises(Mistake, match=r"no \.mp4 files"):
        workload.clips(tmp_path)
