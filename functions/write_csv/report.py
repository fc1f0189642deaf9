"""Render the class report: ``name,major,year``, one row per student; and the attendance beside it."""

import csv
import io

from classroom_common.models import Attendance, Student, Video

HEADER = ("name", "major", "year")


def to_csv(students: list[Student]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for s in sorted(students, key=lambda s: s.name):
        writer.writerow((s.name, s.major, s.year))
    return buffer.getvalue()


def attendance_document(video: Video, attendance: Attendance, students: list[Student]) -> dict:
    """``<video stem>.attendance.json``: per person recognized, first and last seen (seconds into the
    video) and frames seen out of frames sampled; major and year from the student table (null for a
    person without a record)."""
    records = {s.name: s for s in students}
    return {
        "video": video.key,
        "frames_sampled": attendance.frames_sampled,
        "students": [
            {
                "name": p.name,
                "major": records[p.name].major if p.name in records else None,
                "year": records[p.name].year if p.name in records else None,
                "first_seen": p.first_seen,
                "last_seen": p.last_seen,
                "frames_seen": p.frames_seen,
            }
            for p in attendance.students
        ],
    }
