"""Render the class report: ``name,major,year``, one row per student."""

import csv
import io

from classroom_common.models import Student

HEADER = ("name", "major", "year")


def to_csv(students: list[Student]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for s in sorted(students, key=lambda s: s.name):
        writer.writerow((s.name, s.major, s.year))
    return buffer.getvalue()
