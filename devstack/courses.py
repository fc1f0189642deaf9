"""``classroom roster COURSE FILE`` stores a course's roster; ``classroom register COURSE`` prints its
attendance register: each roster student's status in each session, as RecordAttendance recorded it
(``classroom_common.courses``), and the totals."""

import argparse
import csv
import io
import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from classroom_common import courses, student_table
from classroom_common.register import CELLS, rows
from devstack.deployment import Deployment
from devstack.mistakes import START_ONE, Mistake, existing_file


def read_roster(path: Path) -> list[str]:
    """Names from a CSV with a ``name`` column, or one name per line."""
    text = existing_file(path, "the roster").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and "name" in [c.strip() for c in lines[0].split(",")]:
        return [r["name"].strip() for r in csv.DictReader(io.StringIO(text)) if (r.get("name") or "").strip()]
    return lines


def student_records(deployment: Deployment, names: list[str]) -> dict[str, dict]:
    """The student table's records of ``names`` (those it has): their string attributes."""
    items = student_table.read(deployment["StudentsTableName"], names, deployment.client("dynamodb"))
    return {name: {k: v["S"] for k, v in item.items() if "S" in v} for name, item in items.items()}


def store(deployment: Deployment, course: str, names: list[str]) -> str:
    """Store the roster, every name checked against the student table first (nothing stored if one is
    not there)."""
    if not names:
        raise Mistake("the roster names nobody: a CSV with a name column, or one name per line")
    unknown = sorted(set(names) - set(student_records(deployment, sorted(set(names)))))
    if unknown:
        raise Mistake(
            f"not in the student table: {', '.join(unknown)}; add their records first "
            "(classroom seed --students FILE), nothing stored"
        )
    courses.store_roster(deployment["CoursesTableName"], course, names, deployment.client("dynamodb"))
    return f"roster of {course}: {len(set(names))} students"


def register_of(deployment: Deployment, course: str) -> tuple[list[str], list[dict]]:
    """The sessions (in name order) and one object per roster student."""
    table, client = deployment["CoursesTableName"], deployment.client("dynamodb")
    roster = courses.roster(table, course, client)
    if not roster:
        raise Mistake(f"{course} has no roster: store one with classroom roster {course} FILE")
    sessions = courses.statuses(table, course, client)
    records = student_records(deployment, roster)
    register = []
    for row in rows(sessions, roster):
        record = records.get(row.name, {})
        register.append(
            {
                "name": row.name,
                "major": record.get("major"),
                "year": record.get("year"),
                "sessions": row.sessions,
                "attended": row.attended,
                "late": row.late,
                "left_early": row.left_early,
                "absent": row.absent,
            }
        )
    return sorted(sessions), register


def table(sessions: list[str], register: list[dict]) -> str:
    """The register as text: a column per session (P present, L late, E left early, LE both, A absent)."""
    header = ["name", *sessions, "attended", "late", "left early", "absent"]
    lines = [
        [r["name"], *(CELLS[r["sessions"][s]] for s in sessions), *map(str, _totals(r))] for r in register
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    ]
    return "\n".join([*text, "P present, L late, E left early, LE late and left early, A absent"])


def _totals(row: dict) -> tuple[int, int, int, int]:
    return row["attended"], row["late"], row["left_early"], row["absent"]


def _needs_a_stack(args: argparse.Namespace) -> None:
    if not (args.endpoint or args.stack):
        raise Mistake(
            f"give it --endpoint URL or --stack NAME ({START_ONE}): rosters live in a stack's table"
        )


def cmd_roster(args: argparse.Namespace, target: Callable) -> int:
    _needs_a_stack(args)
    names = read_roster(args.file)
    with ExitStack() as resources:
        print(store(target(args, resources), args.course, names))
    return 0


def cmd_register(args: argparse.Namespace, target: Callable) -> int:
    _needs_a_stack(args)
    with ExitStack() as resources:
        sessions, register = register_of(target(args, resources), args.course)
    if args.csv:
        with args.csv.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["name", "major", "year", *sessions, "attended", "late", "left_early", "absent"])
            for r in register:
                cells = [CELLS[r["sessions"][s]] for s in sessions]
                writer.writerow([r["name"], r["major"] or "", r["year"] or "", *cells, *_totals(r)])
    if args.json:
        for r in register:
            print(json.dumps(r))
    else:
        print(table(sessions, register))
    return 0


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    p = subparsers.add_parser("roster", help="store a course's roster (students who should attend)")
    p.add_argument("course", help="the course: the first folder of its uploads' keys")
    p.add_argument("file", type=Path, help="a CSV with a name column, or one name per line")
    add_target(p)
    p.set_defaults(handler=lambda args: cmd_roster(args, deployment))
    p = subparsers.add_parser("register", help="a course's attendance register: students x sessions")
    p.add_argument("course")
    p.add_argument("--json", action="store_true", help="one JSON object per roster student")
    p.add_argument("--csv", type=Path, help="also write the register to this CSV file")
    add_target(p)
    p.set_defaults(handler=lambda args: cmd_register(args, deployment))
