"""A lecture's sampling plan, its segments, and the attendance merged from them."""

import itertools

import pytest

from classroom_common.models import Attendance, Match, Presence, Recognition
from tests.unit.conftest import import_function_module

lecture = import_function_module("extract_frames", "lecture")
attendance = import_function_module("recognize_faces", "attendance")


def test_an_hour_is_sampled_every_interval_and_four_times_as_often_while_students_arrive():
    times = lecture.sample_times(3600.0, lecture.Sampling(interval=60.0, arrival=600.0))
    assert times[:3] == [7.5, 22.5, 37.5]
    assert sum(1 for t in times if t < 600) == 40
    assert [t for t in times if t >= 600][:2] == [630.0, 690.0]
    assert times[-1] == 3570.0 and len(times) == 90
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) == 60.0  # no person present a whole interval is missed


def test_three_hours_at_a_small_interval_are_capped_and_spread_evenly():
    times = lecture.sample_times(3 * 3600.0, lecture.Sampling(interval=1.0, arrival=600.0))
    assert len(times) == lecture.MAX_SAMPLES
    assert times[0] > 0 and times[-1] < 3 * 3600.0


def test_a_short_video_still_gets_a_sample():
    assert lecture.sample_times(5.0, lecture.Sampling(interval=60.0, arrival=0.0)) == [2.5]


def test_frames_are_distinct_in_range_and_cut_into_segments():
    indices = lecture.sample_frames(3600 * 30, 30.0, lecture.Sampling(interval=60.0, arrival=600.0))
    assert indices == sorted(set(indices)) and indices[-1] < 3600 * 30
    segments = lecture.segments(indices, size=12)
    assert [s.index for s in segments] == list(range(len(segments)))
    assert [i for s in segments for i in s.indices] == indices
    assert all(len(s.indices) == 12 for s in segments[:-1])


def test_sightings_are_recorded_per_frame():
    seen = Attendance()
    attendance.record(seen, 30.0, ["b"])
    attendance.record(seen, 90.0, ["a", "b", "b"])
    attendance.record(seen, 150.0, [])
    assert seen.frames_sampled == 3
    assert seen.students == [
        Presence(name="a", first_seen=90.0, last_seen=90.0, frames_seen=1),
        Presence(name="b", first_seen=30.0, last_seen=90.0, frames_seen=2),
    ]


def segment(seen: list[tuple[str, float, float, int]], sampled: int, key: str | None) -> Recognition:
    """A segment's result as RecognizeSegment stores it: every name it saw (the votes come at the merge)."""
    return Recognition(
        students=[Match(name=n, distance=0.4, frames=c) for n, _, _, c in seen],
        unknown_faces=1,
        frames_used=sampled,
        faces=5,
        annotated_key=key,
        attendance=Attendance(
            frames_sampled=sampled,
            students=[Presence(name=n, first_seen=f, last_seen=la, frames_seen=c) for n, f, la, c in seen],
        ),
    )


def test_segments_merge_into_one_recognition_with_the_whole_lectures_votes_and_attendance():
    first = segment([("a", 700.0, 700.0, 1)], 12, "s0.jpg")  # a at the end of one segment…
    second = segment([("a", 760.0, 760.0, 1), ("x", 900.0, 900.0, 1)], 12, "s1.jpg")  # …and the next
    third = segment([("b", 1550.0, 2000.0, 8)], 1, "s2.jpg")  # a last segment of one frame
    merged = attendance.merge([first, second, third])
    assert [m.name for m in merged.students] == ["a", "b"]  # x: named in one frame of the lecture
    assert merged.students[0].frames == 2
    assert merged.frames_used == 25 and merged.faces == 15 and merged.unknown_faces == 1
    assert merged.annotated_key == "s1.jpg"  # names the most people
    assert merged.attendance.frames_sampled == 25
    by_name = {p.name: p for p in merged.attendance.students}
    assert set(by_name) == {"a", "b"}
    assert (by_name["a"].first_seen, by_name["a"].last_seen, by_name["a"].frames_seen) == (700.0, 760.0, 2)
    assert (by_name["b"].first_seen, by_name["b"].last_seen) == (1550.0, 2000.0)


def test_a_chance_match_alone_in_a_one_frame_segment_is_dropped():
    merged = attendance.merge([segment([], 12, None), segment([("x", 3600.0, 3600.0, 1)], 1, "s1.jpg")])
    assert merged.students == [] and merged.attendance.students == []


@pytest.mark.parametrize("count", [0, 1])
def test_no_segments_with_people_is_nobody(count):
    merged = attendance.merge([segment([], 12, None)] * count)
    assert merged.students == [] and merged.attendance.students == []
