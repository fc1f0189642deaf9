"""A course's sessions as documents: the session's ``<COURSE>/<SESSION>.attendance.json`` (each
student's status, the absent, the visitors) and the course's ``<COURSE>/register.csv``."""

from typing import NamedTuple

from classroom_common import courses, storage
from classroom_common.attendance_entries import entry
from classroom_common.models import Lookup
from classroom_common.register import Place, SessionRecord, rows, session_record, to_csv
from classroom_common.states import AttendanceRecorded

ATTEMPTS = 10  # recomputations while other uploads of the course are recorded at the same moment


class Thresholds(NamedTuple):
    late_after: float  # seconds after the session's start: first seen later is late
    left_early: float  # seconds before its end: last seen earlier left early


def session_document(record: SessionRecord, lookup: Lookup, parts: list[str]) -> dict:
    """``<COURSE>/<SESSION>.attendance.json``: everyone seen (first and last seen over the session's
    own timeline, their status; major and year where this upload's lookup found them), the absent,
    the visitors, and the parts it was made from."""
    records = {s.name: s for s in lookup.students}
    return {
        "course": record.course,
        "session": record.session,
        "duration": record.duration,
        "parts": parts,
        "students": [
            {**entry(s, records), "status": record.statuses.get(s.name, "visitor")} for s in record.seen
        ],
        "absent": record.absent,
        "visitors": record.visitors,
    }


def publish(table: str, bucket: str, where: Place, lookup: Lookup, limits: Thresholds) -> AttendanceRecorded:
    """The session's statuses, its document and the course's register, from the table as it is now."""
    roster = courses.roster(table, where.course)
    sessions = courses.parts(table, where.course)
    records = {
        name: session_record(where.course, name, roster, parts, limits.late_after, limits.left_early)
        for name, parts in sessions.items()
    }
    this = records[where.session]
    courses.put_statuses(table, this)
    attendance_key = f"{where.course}/{where.session}.attendance.json"
    parts = sorted(p.part for p in sessions[where.session] if p.part)
    storage.put_json(bucket, attendance_key, session_document(this, lookup, parts))
    register_key = f"{where.course}/register.csv"
    register = to_csv(rows({n: r.statuses for n, r in records.items()}, roster), sorted(records))
    storage.s3().put_object(Bucket=bucket, Key=register_key, Body=register.encode(), ContentType="text/csv")
    return AttendanceRecorded(
        course=where.course,
        session=where.session,
        register_key=register_key,
        attendance_key=attendance_key,
        absent=this.absent,
        visitors=this.visitors,
    )
