"""Render the class report: ``name,major,year``, one row per person recognized (major and year empty for
one with no student record); and the attendance beside it."""

import csv
import io
from collections.abc import Sequence

from classroom_common.attendance_entries import entry
from classroom_common.models import Attendance, Student, Video

HEADER = ("name", "major", "year")


Row = tuple[str, str, str]


def rows(students: list[Student], missing: Sequence[str] = ()) -> list[Row]:
    """One row per person recognized, by name: a student's record, or the name alone for a person the
    student table has no record of (they were in the room: the CSV says so, and that the record is
    missing)."""
    found = [(s.name, s.major, s.year) for s in students]
    found += [(name, "", "") for name in missing if name not in {s.name for s in students}]
    return sorted(found)


def to_csv(table: list[Row]) -> str:
    """``name,major,year``, then the rows (``rows``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(table)
    return buffer.getvalue()


def attendance_document(video: Video, attendance: Attendance, students: list[Student]) -> dict:
    """``<video stem>.attendance.json``: per person recognized, first and last seen (seconds into the
    video) and frames seen out of frames sampled; major and year from the student table (null for a
    person without a record)."""
    records = {s.name: s for s in students}
    return {
        "video": video.key,
        "frames_sampled": attendance.frames_sampled,
        "students": [entry(p, records) for p in attendance.students],
    }
