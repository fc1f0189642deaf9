"""A course's attendance register through the local stack: a roster, sessions from the upload keys,
present / late / left early / absent, visitors, several cameras, a re-upload, sessions finishing
together, and `classroom roster` / `classroom register` as a user runs them."""

import csv
import io
import json
from urllib.parse import unquote

import pytest

from devstack import cli, runs
from synthetic.clips import still, write_lecture
from tests.conftest import EXPECTED, SAMPLES
from tests.integration.test_view import browse, screenshot

pytestmark = pytest.mark.stack
VIDEOS = SAMPLES / "videos"
COURSE = "CS101"
VISITOR = "president_obama"  # in a camera's view, not on the roster
ROSTER = sorted(name for name, _, _ in EXPECTED.values() if name != VISITOR)
TRUMP, BIDEN = "president_trump", "president_biden"
# The third session, a 15-minute lecture: president_trump leaves after 560 s (more than LeftEarlySeconds,
# 300, before the end), president_biden comes in at 420 s (more than LateAfterSeconds, 300, after the start).
LECTURE = {TRUMP: (0.0, 560.0), BIDEN: (420.0, 900.0)}


def register_csv(d) -> list[list[str]]:
    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=f"{COURSE}/register.csv")["Body"]
    return list(csv.reader(io.StringIO(body.read().decode())))


def document(d, key: str) -> dict:
    return json.loads(d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=key)["Body"].read())


@pytest.fixture(scope="module")
def term(stack, tmp_path_factory):
    """The roster stored with `classroom roster`, then three sessions and an upload outside the course,
    all uploaded at once: the first filmed by eight cameras (one student each), the second a clip of
    one student, the third a 15-minute lecture."""
    folder = tmp_path_factory.mktemp("term")
    roster = folder / "roster.csv"
    roster.write_text("name,note\n" + "".join(f"{name},\n" for name in ROSTER))
    assert cli.main(["roster", COURSE, str(roster), "--endpoint", stack.endpoint]) == 0
    people = [
        (still(VIDEOS / "test_0.mp4", 24), *LECTURE[TRUMP]),
        (still(VIDEOS / "test_1.mp4", 31), *LECTURE[BIDEN]),
    ]
    lecture = write_lecture(folder / "lecture.mp4", 15, people)
    d = stack.deployment
    uploads = [
        runs.upload(d, VIDEOS / video, key=f"{COURSE}/2026-09-14/camera-{n}.mp4")
        for n, video in enumerate(sorted(EXPECTED), start=1)
    ]
    uploads += [
        runs.upload(d, VIDEOS / "test_0.mp4", key=f"{COURSE}/2026-09-15.mp4"),
        runs.upload(d, lecture, key=f"{COURSE}/2026-09-16.mp4"),
        runs.upload(d, VIDEOS / "test_7.mp4", key="elsewhere/test_7.mp4"),
    ]
    outcomes = runs.wait(d, uploads, timeout=900)
    assert all(o.status == "SUCCEEDED" for o in outcomes), [o for o in outcomes if o.status != "SUCCEEDED"]
    return d


def test_the_register_has_every_session_and_status(term):
    assert register_csv(term)[:2] == [
        ["# P present", " L late", " E left early", " LE late and left early", " A absent"],
        ["name", "2026-09-14", "2026-09-15", "2026-09-16", "attended", "late", "left_early", "absent"],
    ]
    rows = {row[0]: row[1:] for row in register_csv(term)[2:]}
    assert sorted(rows) == ROSTER
    assert rows[TRUMP] == ["P", "P", "E", "3", "0", "1", "0"]
    assert rows[BIDEN] == ["P", "A", "L", "2", "1", "0", "1"]
    for name in set(ROSTER) - {TRUMP, BIDEN}:
        assert rows[name] == ["P", "A", "A", "1", "0", "0", "2"], name


def test_eight_cameras_finishing_together_all_count_and_a_visitor_is_listed(term):
    session = document(term, f"{COURSE}/2026-09-14.attendance.json")
    assert session["course"] == COURSE and session["session"] == "2026-09-14"
    assert sorted(session["parts"]) == [f"camera-{n}.mp4" for n in range(1, 9)]
    assert session["absent"] == [] and session["visitors"] == [VISITOR]
    statuses = {s["name"]: s["status"] for s in session["students"]}
    assert statuses == {**dict.fromkeys(ROSTER, "present"), VISITOR: "visitor"}


def test_a_lecture_gives_late_and_left_early_over_its_own_timeline(term):
    session = document(term, f"{COURSE}/2026-09-16.attendance.json")
    by_name = {s["name"]: s for s in session["students"]}
    assert by_name[TRUMP]["status"] == "left_early" and by_name[BIDEN]["status"] == "late"
    assert 420 <= by_name[BIDEN]["first_seen"] < 480 and 480 < by_name[TRUMP]["last_seen"] <= 560
    assert session["duration"] == pytest.approx(900, abs=1)
    assert session["absent"] == sorted(set(ROSTER) - {TRUMP, BIDEN})


def test_classroom_register_prints_the_register(term, stack, capsys):
    assert cli.main(["register", COURSE, "--endpoint", stack.endpoint]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "name",
        "2026-09-14",
        "2026-09-15",
        "2026-09-16",
        "attended",
        "late",
        "left",
        "early",
        "absent",
    ]
    assert lines[-1].startswith("P present, L late")
    assert cli.main(["register", COURSE, "--json", "--endpoint", stack.endpoint]) == 0
    students = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["name"] for s in students] == ROSTER
    biden = next(s for s in students if s["name"] == BIDEN)
    assert biden == {
        "name": BIDEN,
        "major": "history",
        "year": "sophomore",
        "sessions": {"2026-09-14": "present", "2026-09-15": "absent", "2026-09-16": "late"},
        "attended": 2,
        "late": 1,
        "left_early": 0,
        "absent": 1,
    }


def test_an_upload_outside_any_course_is_as_before(term):
    s3 = term.client("s3")
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=term["OutputBucketName"], Prefix="elsewhere/")["Contents"]
    ]
    assert sorted(keys) == ["elsewhere/test_7.attendance.json", "elsewhere/test_7.csv"]
    assert "course" not in document(term, "elsewhere/test_7.attendance.json")


def test_a_session_uploaded_again_replaces_its_record(term):
    """The second session's key, a new version: now mr_bean's clip. president_trump, there before, is
    absent from it now; mr_bean present."""
    (outcome,) = runs.wait(term, [runs.upload(term, VIDEOS / "test_2.mp4", key=f"{COURSE}/2026-09-15.mp4")])
    assert outcome.status == "SUCCEEDED"
    rows = {row[0]: row[1:] for row in register_csv(term)[2:]}
    assert rows[TRUMP] == ["P", "A", "E", "2", "0", "1", "1"]
    assert rows["mr_bean"] == ["P", "P", "A", "2", "0", "0", "1"]


def test_a_roster_with_a_name_not_in_the_student_table_is_refused(term, stack, tmp_path, capsys):
    roster = tmp_path / "roster.txt"
    roster.write_text("floki\nnobody_here\n")
    assert cli.main(["roster", COURSE, str(roster), "--endpoint", stack.endpoint]) == 2
    assert "not in the student table: nobody_here" in capsys.readouterr().err
    assert cli.main(["register", COURSE, "--json", "--endpoint", stack.endpoint]) == 0
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == ROSTER  # unchanged


def test_the_course_page_shows_the_register_in_a_browser(term, site, tmp_path):
    """`classroom view`'s course page in headless Chromium: a cell per student and session, its status
    in its colour, linking to that session's newest run; the totals; the courses page lists it."""
    dom = browse(f"{site}course?name={COURSE}", tmp_path)
    cells = [a for tag, a in dom.elements if tag == "td" and "data-status" in a]
    assert len(cells) == len(ROSTER) * 3
    statuses = {(a["data-session"], a["class"].split()[-1]) for a in cells}
    assert ("2026-09-16", "status-late") in statuses and ("2026-09-16", "status-left_early") in statuses
    links = [
        a["href"] for tag, a in dom.elements if tag == "a" and a.get("href", "").startswith("/execution")
    ]
    arns = {e["executionArn"] for e in runs.executions(term)}
    assert len(links) == len(cells) and all(unquote(h.split("arn=")[1]) in arns for h in links)
    assert "president_trump" in dom.tables["register"] and "left early" in dom.tables["register"]
    assert f"/course?name={COURSE}" in [a.get("href") for _, a in browse(f"{site}courses", tmp_path).elements]
    assert screenshot(f"{site}course?name={COURSE}", tmp_path, "view-course.png", (1600, 520)).std() > 10
