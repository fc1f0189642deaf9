"""The courses table: rosters, the attendance of each upload of a session, and each roster student's
status per session, for the RecordAttendance step and `classroom roster`/`register` alike.

One DynamoDB table, partition key ``course``, sort key ``item``:

- ``ROSTER#<name>``: a student on the course's roster;
- ``PART#<session>#<part>``: one upload of a session (the part is "" for a one-file session): its
  length, the version it was read from, and who was seen when in it; a new version of the same key
  replaces it;
- ``STATUS#<session>#<name>``: a roster student's (or a visitor's) status in a session, recomputed from
  the session's parts after each upload;
- ``REVISION``: a counter each upload bumps after writing its part, so the register written after it
  is known to be current (``RecordAttendance`` recomputes until the counter holds still).

A table, not the output bucket: the pipeline and the CLI both read rosters and parts by course with one
strongly consistent query, and a part's write is one conditional-free item put (idempotent per version).
"""

import json
from collections.abc import Iterable

from classroom_common import storage
from classroom_common.models import Presence
from classroom_common.register import Part, SessionRecord

ROSTER, PART, STATUS, REVISION = "ROSTER#", "PART#", "STATUS#", "REVISION"


def _items(table: str, course: str, prefix: str, client=None) -> list[dict]:
    pages = (
        (client or storage.dynamodb())
        .get_paginator("query")
        .paginate(
            TableName=table,
            KeyConditionExpression="course = :c AND begins_with(#i, :p)",
            ExpressionAttributeNames={"#i": "item"},
            ExpressionAttributeValues={":c": {"S": course}, ":p": {"S": prefix}},
            ConsistentRead=True,
        )
    )
    return [item for page in pages for item in page["Items"]]


def roster(table: str, course: str, client=None) -> list[str]:
    """The course's roster (empty: not a course). ``client``: a DynamoDB client (default: the step's)."""
    return sorted(item["item"]["S"].removeprefix(ROSTER) for item in _items(table, course, ROSTER, client))


def _write(table: str, puts: Iterable[dict], deletes: Iterable[dict] = (), client=None) -> None:
    requests = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": key}} for key in deletes]
    for start in range(0, len(requests), 25):  # BatchWriteItem's limit
        pending = {table: requests[start : start + 25]}
        while pending:
            pending = (client or storage.dynamodb()).batch_write_item(RequestItems=pending)
            pending = pending.get("UnprocessedItems") or {}


def store_roster(table: str, course: str, names: Iterable[str], client=None) -> None:
    """The course's roster is ``names`` from now on (the old one replaced)."""
    names = sorted(set(names))
    old = [n for n in roster(table, course, client) if n not in names]
    _write(
        table,
        ({"course": {"S": course}, "item": {"S": ROSTER + n}} for n in names),
        ({"course": {"S": course}, "item": {"S": ROSTER + n}} for n in old),
        client,
    )


def put_part(table: str, course: str, session: str, part: Part, version: str) -> None:
    """One upload's attendance in its session; the same key uploaded again replaces it."""
    students = json.dumps([s.model_dump() for s in part.students])
    storage.dynamodb().put_item(
        TableName=table,
        Item={
            "course": {"S": course},
            "item": {"S": f"{PART}{session}#{part.part}"},
            "session": {"S": session},
            "part": {"S": part.part},
            "duration": {"N": repr(part.duration)},
            "version": {"S": version},
            "students": {"S": students},
        },
    )


def parts(table: str, course: str) -> dict[str, list[Part]]:
    """Every session of the course with its parts."""
    sessions: dict[str, list[Part]] = {}
    for item in _items(table, course, PART):
        students = [Presence(**s) for s in json.loads(item["students"]["S"])]
        part = Part(part=item["part"]["S"], duration=float(item["duration"]["N"]), students=students)
        sessions.setdefault(item["session"]["S"], []).append(part)
    return sessions


def bump(table: str, course: str) -> int:
    """One more upload recorded for the course: the counter's new value."""
    answer = storage.dynamodb().update_item(
        TableName=table,
        Key={"course": {"S": course}, "item": {"S": REVISION}},
        UpdateExpression="ADD revision :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["revision"]["N"])


def revision(table: str, course: str) -> int:
    item = (
        storage.dynamodb()
        .get_item(
            TableName=table, Key={"course": {"S": course}, "item": {"S": REVISION}}, ConsistentRead=True
        )
        .get("Item")
    )
    return int(item["revision"]["N"]) if item else 0


def statuses(table: str, course: str, client=None) -> dict[str, dict[str, str]]:
    """Each session's statuses as RecordAttendance last wrote them: session -> name -> status
    (visitors' too, as "visitor")."""
    found: dict[str, dict[str, str]] = {}
    for item in _items(table, course, STATUS, client):
        session, name = item["item"]["S"].removeprefix(STATUS).rsplit("#", 1)
        found.setdefault(session, {})[name] = item["status"]["S"]
    return found


def put_statuses(table: str, record: SessionRecord) -> None:
    """Each roster student's status in the session, and each visitor's, one item each."""
    seen = {s.name: s for s in record.seen}
    statuses = {**record.statuses, **dict.fromkeys(record.visitors, "visitor")}
    old = [i["item"] for i in _items(table, record.course, f"{STATUS}{record.session}#")]
    items = []
    for name, status in statuses.items():
        item = {
            "course": {"S": record.course},
            "item": {"S": f"{STATUS}{record.session}#{name}"},
            "status": {"S": status},
        }
        if name in seen:
            item["first_seen"] = {"N": repr(seen[name].first_seen)}
            item["last_seen"] = {"N": repr(seen[name].last_seen)}
        items.append(item)
    kept = {i["item"]["S"] for i in items}
    _write(table, items, ({"course": {"S": record.course}, "item": k} for k in old if k["S"] not in kept))
