"""A course's attendance register: sessions from upload keys, each roster student's status in each
session, and the register as rows (plain functions: the RecordAttendance step and `classroom register`
compute it the same way).

Keys: ``COURSE/SESSION.mp4`` is one session of COURSE; ``COURSE/SESSION/ANYTHING.mp4`` is one part of
a session filmed by several cameras or in several parts. The parts of a session are cameras filming it
together (each from the session's start), unless every part's name carries a part number (``part1``,
``part-2``, ``Part_3``…): then they are consecutive, in that number's order, each starting where the one
before ended. Sessions sort by name, so ISO dates (``2026-09-14``) sort right.
"""

import csv
import io
import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

from pydantic import BaseModel

from classroom_common.keys import stem
from classroom_common.models import Presence

Status = Literal["present", "late", "left_early", "late_left_early", "absent"]
CELLS: dict[Status, str] = {
    "present": "P",
    "late": "L",
    "left_early": "E",
    "late_left_early": "LE",
    "absent": "A",
}
_PART = re.compile(r"part[-_ ]?(\d+)", re.IGNORECASE)


class Place(NamedTuple):
    """Where an upload sits in a course: its session and, for a session of several files, its part."""

    course: str
    session: str
    part: str  # the file's name inside the session ("" for a one-file session)


def place(key: str) -> Place | None:
    """The course, session and part an upload key names, or None for a key in no folder."""
    folders = key.split("/")
    if len(folders) == 2 and folders[0] and stem(folders[1]) != folders[1]:
        return Place(folders[0], stem(folders[1]), "")
    if len(folders) >= 3 and all(folders[:2]):
        return Place(folders[0], folders[1], "/".join(folders[2:]))
    return None


class Part(BaseModel):
    """One upload of a session: how long it is and who was seen when (seconds into it)."""

    part: str
    duration: float
    students: list[Presence]


class Seen(BaseModel):
    """One person over a whole session: seconds into the session's own timeline."""

    name: str
    first_seen: float
    last_seen: float
    frames_seen: int


def part_number(part: str) -> int | None:
    found = _PART.search(stem(part.rsplit("/", 1)[-1]))
    return int(found.group(1)) if found else None


def timeline(parts: Iterable[Part]) -> tuple[float, list[Seen]]:
    """The session's length and everyone seen in it: parts that are consecutive (all numbered) are laid
    end to end, cameras filming together share the start; first seen the earliest, last seen the latest."""
    parts = list(parts)
    numbers = [part_number(p.part) for p in parts]
    consecutive = len(parts) > 1 and all(n is not None for n in numbers)
    if consecutive:
        parts = [p for _, p in sorted(zip(numbers, parts, strict=True), key=lambda np: np[0])]
    offset, length, seen = 0.0, 0.0, {}
    for p in parts:
        for s in p.students:
            first, last = offset + s.first_seen, offset + s.last_seen
            if s.name in seen:
                kept = seen[s.name]
                kept.first_seen, kept.last_seen = min(kept.first_seen, first), max(kept.last_seen, last)
                kept.frames_seen += s.frames_seen
            else:
                seen[s.name] = Seen(name=s.name, first_seen=first, last_seen=last, frames_seen=s.frames_seen)
        length = max(length, offset + p.duration)
        offset += p.duration if consecutive else 0.0
    return length, sorted(seen.values(), key=lambda s: s.name)


def status(seen: Seen | None, length: float, late_after: float, left_early: float) -> Status:
    """Present; late when first seen more than ``late_after`` seconds in; left early when last seen
    more than ``left_early`` seconds before the end; absent when not seen. A session shorter than the
    thresholds can only be present or absent."""
    if seen is None:
        return "absent"
    late = seen.first_seen > late_after
    early = length - seen.last_seen > left_early
    return "late_left_early" if late and early else "late" if late else "left_early" if early else "present"


class SessionRecord(BaseModel):
    """A session's attendance against the roster."""

    course: str
    session: str
    duration: float
    statuses: dict[str, Status]  # roster student -> status
    seen: list[Seen]  # everyone seen, roster or not
    visitors: list[str]  # seen, not on the roster

    @property
    def absent(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s == "absent")


def session_record(
    course: str,
    session: str,
    roster: Iterable[str],
    parts: Iterable[Part],
    late_after: float,
    left_early: float,
) -> SessionRecord:
    length, seen = timeline(parts)
    by_name = {s.name: s for s in seen}
    roster = sorted(set(roster))
    return SessionRecord(
        course=course,
        session=session,
        duration=length,
        statuses={n: status(by_name.get(n), length, late_after, left_early) for n in roster},
        seen=seen,
        visitors=sorted(set(by_name) - set(roster)),
    )


class Row(BaseModel):
    """One roster student across the course's sessions, with the totals."""

    name: str
    sessions: dict[str, Status]
    attended: int
    late: int
    left_early: int
    absent: int


def rows(sessions: dict[str, dict[str, Status]], roster: Iterable[str]) -> list[Row]:
    """Each roster student's status in each session (session -> name -> status; sessions in name
    order; a student missing from a session is absent) and their totals."""
    result = []
    for name in sorted(set(roster)):
        statuses = {session: sessions[session].get(name, "absent") for session in sorted(sessions)}
        values = list(statuses.values())
        result.append(
            Row(
                name=name,
                sessions=statuses,
                attended=sum(v != "absent" for v in values),
                late=sum(v in ("late", "late_left_early") for v in values),
                left_early=sum(v in ("left_early", "late_left_early") for v in values),
                absent=sum(v == "absent" for v in values),
            )
        )
    return result


def to_csv(register: list[Row], sessions: list[str]) -> str:
    """``register.csv``: a line saying what the letters mean, then one row per roster student: the name,
    one column per session, and the totals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    buffer.write("# P present, L late, E left early, LE late and left early, A absent\n")
    writer.writerow(["name", *sessions, "attended", "late", "left_early", "absent"])
    for row in register:
        cells = [CELLS[row.sessions[s]] for s in sessions]
        writer.writerow([row.name, *cells, row.attended, row.late, row.left_early, row.absent])
    return buffer.getvalue()
