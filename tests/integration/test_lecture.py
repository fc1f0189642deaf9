"""A whole lecture through the local stack: sampled across the hour, fanned out with the Map state, and
attendance with first and last seen; a lecture over the bound fails from its header alone."""

import json

import pytest

from devstack import history, runs
from devstack.view import pages
from synthetic.clips import still, write_lecture
from tests.conftest import SAMPLES

pytestmark = pytest.mark.stack

INTERVAL = 60.0  # LectureSampleSeconds, as the template sets it
ARRIVAL = 600.0  # LectureArrivalSeconds: sampled every 15 s
VIDEOS = SAMPLES / "videos"
TRUMP, BIDEN = "president_trump", "president_biden"
# Who is in the room when (seconds): an empty room for the first 20 minutes; president_trump for the
# middle 20 minutes only; president_biden from minute 30 to the end (both at once from 30 to 40).
PRESENT = {TRUMP: (1200.0, 2400.0), BIDEN: (1800.0, 3600.0)}


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """60 minutes at 1 frame per second, 720p, written from two frames of the sample clips."""
    people = [
        (still(VIDEOS / "test_0.mp4", 24), *PRESENT[TRUMP]),
        (still(VIDEOS / "test_1.mp4", 31), *PRESENT[BIDEN]),
    ]
    return write_lecture(tmp_path_factory.mktemp("lecture") / "lecture.mp4", 60, people)


def test_a_lecture_is_fanned_out_and_gives_attendance(stack, lecture):
    d = stack.deployment
    upload = runs.upload(d, lecture, key="2024/fall/lecture 1.mp4")
    (result,) = runs.wait(d, [upload], timeout=900)
    assert result.status == "SUCCEEDED", result
    assert [s["name"] for s in result.students] == [BIDEN, TRUMP]
    assert result.output_key == "2024/fall/lecture 1.csv"
    csv = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=result.output_key)["Body"].read()
    assert csv.decode().splitlines() == [
        "name,major,year",
        "president_biden,history,sophomore",
        "president_trump,physics,junior",
    ]

    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key="2024/fall/lecture 1.attendance.json")
    document = json.loads(body["Body"].read())
    assert document["frames_sampled"] == 40 + 50  # every 15 s for 10 minutes, then every 60 s
    seen = {s["name"]: s for s in document["students"]}
    assert set(seen) == {TRUMP, BIDEN}
    for name, (arrived, left) in PRESENT.items():
        assert arrived <= seen[name]["first_seen"] <= arrived + INTERVAL, seen[name]
        assert left - INTERVAL <= seen[name]["last_seen"] < left, seen[name]
        assert seen[name]["frames_seen"] == pytest.approx((left - arrived) / INTERVAL, abs=1)
    assert seen[TRUMP]["major"] == "physics" and seen[BIDEN]["year"] == "sophomore"
    assert result.attendance == {
        "frames_sampled": 90,
        "students": [
            {k: s[k] for k in ("name", "first_seen", "last_seen", "frames_seen")}
            for s in document["students"]
        ],
    }

    steps, end = history.history(d, result.arn)
    assert end["status"] == "SUCCEEDED"
    names = [s.name for s in steps if s.iteration is None]
    assert names[:3] == ["ExtractFrames", "IsLecture", "RecognizeSegments"]
    assert "RecognizeFaces" not in names and "MergeSegments" in names
    (fan_out,) = [s for s in steps if s.type == "Map"]
    assert fan_out.iterations == 8  # 90 samples, 12 a segment
    inner = [(s.name, s.iteration, s.status) for s in steps if s.iteration is not None]
    assert sorted(inner) == sorted(
        (name, i, "succeeded") for i in range(8) for name in ("ExtractSegment", "RecognizeSegment")
    )
    sfn = d.client("stepfunctions")
    execution = sfn.describe_execution(executionArn=result.arn)
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=d["StateMachineArn"])["definition"])
    html = pages.execution_page(execution, definition, history.events(d, result.arn))
    assert 'id="attendance"' in html and f'data-name="{TRUMP}"' in html
    assert pages.clock(seen[TRUMP]["first_seen"]) in html and "/ 90" in html
    assert 'data-state="RecognizeSegment" data-iteration="7"' in html and "Map · 8 iterations" in html
    text = history.render(steps, end)
    assert "RecognizeSegments      Map" in text and "8 iterations" in text and "RecognizeSegment [7]" in text


def test_a_short_clip_keeps_the_path_without_the_map(stack):
    upload = runs.upload(stack.deployment, VIDEOS / "test_4.mp4", key="short/test_4.mp4")
    (result,) = runs.wait(stack.deployment, [upload], timeout=120)
    assert result.status == "SUCCEEDED"
    steps, _ = history.history(stack.deployment, result.arn)
    assert [s.name for s in steps][:3] == ["ExtractFrames", "IsLecture", "RecognizeFaces"]
    assert not [s for s in steps if s.type == "Map"]
    (person,) = result.attendance["students"]
    assert person["name"] == "johnny_dep" and person["frames_seen"] >= 2


def test_a_lecture_over_three_hours_fails_from_its_header_without_being_downloaded(stack, tmp_path):
    """Three hours and a minute (at half a frame a second: a 13 MB file): VideoTooLarge, with at most
    the first and last MiB read (the header, and the index at its end)."""
    frame = still(VIDEOS / "test_0.mp4", 24, size=(640, 360))
    path = write_lecture(tmp_path / "long.mp4", 181, [(frame, 0.0, 1e9)], fps=0.5, size=(640, 360))
    size = path.stat().st_size
    upload = runs.upload(stack.deployment, path, key="long/three hours.mp4")
    (result,) = runs.wait(stack.deployment, [upload], timeout=120)
    assert result.status == "FAILED"
    assert result.error["error"] == "VideoTooLarge"
    assert "10860 s is above the limit of 10800 s" in result.error["cause"]
    log = (stack.workdir / "logs" / "ExtractFramesFunction.log").read_text().splitlines()
    reads = [json.loads(line) for line in log if '"video read"' in line and "three hours" in line]
    assert reads, "ExtractFrames logs what it read"
    assert all(r["size"] == size and r["requests"] <= 2 and r["bytes_read"] <= 2 * 1024 * 1024 for r in reads)
    assert size > 4 * 1024 * 1024
