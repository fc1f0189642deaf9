"""One person's entry in an attendance document: when they were seen, with their student record. The
video's ``<stem>.attendance.json`` (WriteCsv) and the session's (RecordAttendance) list people alike."""

from classroom_common.models import Presence, Student
from classroom_common.register import Seen


def entry(person: Presence | Seen, records: dict[str, Student]) -> dict:
    """``person``'s name, major and year (null without a record in ``records``, by name), first and last
    seen and frames seen."""
    record = records.get(person.name)
    return {
        "name": person.name,
        "major": record.major if record is not None else None,
        "year": record.year if record is not None else None,
        "first_seen": person.first_seen,
        "last_seen": person.last_seen,
        "frames_seen": person.frames_seen,
    }
