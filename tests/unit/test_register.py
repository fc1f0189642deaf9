"""The register's rules without AWS: sessions from keys, the session's own timeline, the statuses."""

import pytest

from classroom_common.models import Presence
from classroom_common.register import Part, Place, Seen, place, rows, session_record, status, timeline, to_csv


def seen(name: str, first: float, last: float, frames: int = 1) -> Presence:
    return Presence(name=name, first_seen=first, last_seen=last, frames_seen=frames)


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("CS101/2026-09-14.mp4", Place("CS101", "2026-09-14", "")),
        ("CS101/2026-09-14.jpg", Place("CS101", "2026-09-14", "")),
        ("CS101/2026-09-14/cam-a.mp4", Place("CS101", "2026-09-14", "cam-a.mp4")),
        ("CS101/2026-09-14/left/wall.mov", Place("CS101", "2026-09-14", "left/wall.mov")),
        ("test_0.mp4", None),
        ("CS101/no_extension", None),
        ("/x.mp4", None),
    ],
)
def test_the_course_and_session_come_from_the_key(key, where):
    assert place(key) == where


def test_cameras_filming_together_share_the_start():
    length, people = timeline(
        [
            Part(part="cam-a.mp4", duration=600, students=[seen("a", 30, 500)]),
            Part(part="cam-b.mp4", duration=620, students=[seen("a", 10, 590, 2), seen("b", 400, 610)]),
        ]
    )
    assert length == 620
    assert [(p.name, p.first_seen, p.last_seen, p.frames_seen) for p in people] == [
        ("a", 10, 590, 3),
        ("b", 400, 610, 1),
    ]


def test_numbered_parts_are_laid_end_to_end_in_number_order():
    length, people = timeline(
        [
            Part(part="part2.mp4", duration=1800, students=[seen("a", 0, 100)]),
            Part(part="part1.mp4", duration=1200, students=[seen("a", 60, 1150), seen("b", 5, 10)]),
        ]
    )
    assert length == 3000
    assert [(p.name, p.first_seen, p.last_seen) for p in people] == [("a", 60, 1300), ("b", 5, 10)]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [(10, 3590, "present"), (301, 3590, "late"), (10, 3299, "left_early"), (400, 3000, "late_left_early")],
)
def test_statuses_by_the_thresholds(first, last, expected):
    assert status(Seen(name="a", first_seen=first, last_seen=last, frames_seen=2), 3600, 300, 300) == expected


def test_a_clip_shorter_than_the_thresholds_is_present_or_absent():
    record = session_record(
        "C", "s", ["a", "b"], [Part(part="", duration=2.0, students=[seen("a", 1.9, 1.9)])], 300, 300
    )
    assert record.statuses == {"a": "present", "b": "absent"}
    assert record.absent == ["b"] and record.visitors == []


def test_someone_seen_who_is_not_on_the_roster_is_a_visitor():
    record = session_record(
        "C", "s", ["a"], [Part(part="", duration=60, students=[seen("z", 1, 2)])], 300, 300
    )
    assert record.statuses == {"a": "absent"} and record.visitors == ["z"]


def test_the_register_has_a_row_per_roster_student_and_a_column_per_session():
    sessions = {"2026-09-15": {"a": "late"}, "2026-09-14": {"a": "present", "b": "late_left_early"}}
    register = rows(sessions, ["b", "a"])
    assert to_csv(register, sorted(sessions)).splitlines() == [
        "# P present, L late, E left early, LE late and left early, A absent",
        "name,2026-09-14,2026-09-15,attended,late,left_early,absent",
        "a,P,L,2,1,0,0",
        "b,LE,A,1,1,1,1",
    ]
