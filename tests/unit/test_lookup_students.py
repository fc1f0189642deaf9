"""Step 3: the recognized people's student records, read with BatchGetItem."""

import json
from types import SimpleNamespace

import pytest

from classroom_common import student_table
from classroom_common.errors import StudentTableUnavailable
from tests.unit.conftest import SAMPLES, record_calls


@pytest.fixture
def lookup(load):
    handler = load("lookup_students")
    return lambda event: handler({"state": "LookupStudents", **event})


def seed(cloud, records: list[dict]) -> str:
    table = cloud["StudentsTableName"]
    for r in records:
        cloud.dynamodb.put_item(
            TableName=table,
            Item={k: {"N": str(v)} if isinstance(v, int) else {"S": str(v)} for k, v in r.items()},
        )
    return table


def recognition(*names: str) -> dict:
    return {
        "recognition": {
            "students": [{"name": n, "distance": 0.4, "frames": 2} for n in names],
            "unknown_faces": 0,
            "frames_used": 2,
            "faces": len(names) * 2,
            "annotated_key": None,
        }
    }


SAMPLE_STUDENTS = json.loads((SAMPLES / "student_data.json").read_text())


def test_recognized_students_are_read_from_the_table(cloud, lookup):
    seed(cloud, SAMPLE_STUDENTS)
    by_name = {r["name"]: r for r in SAMPLE_STUDENTS}
    names = sorted(by_name)[:3]
    calls = record_calls(cloud.dynamodb)

    result = lookup(recognition(*reversed(names)))

    assert result == {
        "students": [
            {"name": n, "major": by_name[n]["major"], "year": by_name[n]["year"]} for n in names
        ],  # sorted by name
        "missing": [],
    }
    assert [c[0] for c in calls] == ["BatchGetItem"]
    (request,) = calls[0][1]["RequestItems"].values()
    assert sorted(k["name"]["S"] for k in request["Keys"]) == names


def test_a_recognized_person_without_a_record_is_missing(cloud, lookup):
    seed(cloud, SAMPLE_STUDENTS)
    known = SAMPLE_STUDENTS[0]["name"]
    result = lookup(recognition("travis_ragnar", known, "bush"))
    assert [s["name"] for s in result["students"]] == [known]
    assert result["missing"] == ["bush", "travis_ragnar"]


def test_no_names_needs_no_table_call(cloud, lookup, monkeypatch):
    monkeypatch.setenv("STUDENTS_TABLE", "a-table-that-does-not-exist")
    calls = record_calls(cloud.dynamodb)
    assert lookup(recognition()) == {"students": [], "missing": []}
    assert calls == []


def test_missing_table_is_student_table_unavailable(cloud, lookup, monkeypatch):
    monkeypatch.setenv("STUDENTS_TABLE", "no-such-table")
    with pytest.raises(StudentTableUnavailable, match="no-such-table"):
        lookup(recognition("president_obama"))


def test_more_names_than_one_batch_holds(cloud, lookup):
    """BatchGetItem takes 100 keys at most: 150 names are read in two batches."""
    records = [{"name": f"student_{i:03d}", "major": "math", "year": "senior"} for i in range(0, 150, 2)]
    seed(cloud, records)
    names = [f"student_{i:03d}" for i in range(150)]
    calls = record_calls(cloud.dynamodb)
    result = lookup(recognition(*names))
    assert [s["name"] for s in result["students"]] == [r["name"] for r in records]
    assert result["missing"] == [n for n in names if int(n[-3:]) % 2]
    batches = [c for c in calls if c[0] == "BatchGetItem"]
    assert [len(next(iter(c[1]["RequestItems"].values()))["Keys"]) for c in batches] == [100, 50]


def test_unprocessed_keys_are_asked_for_again(cloud, lookup, monkeypatch):
    """DynamoDB may return part of a batch as UnprocessedKeys; they are retried, not dropped."""
    seed(cloud, SAMPLE_STUDENTS)
    names = sorted(r["name"] for r in SAMPLE_STUDENTS)
    client = cloud.dynamodb
    real = client.batch_get_item
    asked: list[list[str]] = []

    def throttled_once(RequestItems):
        table, request = next(iter(RequestItems.items()))
        asked.append(sorted(k["name"]["S"] for k in request["Keys"]))
        if len(asked) > 1:
            return real(RequestItems=RequestItems)
        half = request["Keys"][: len(request["Keys"]) // 2]
        response = real(RequestItems={table: {"Keys": half}})
        response["UnprocessedKeys"] = {table: {"Keys": request["Keys"][len(half) :]}}
        return response

    monkeypatch.setattr(client, "batch_get_item", throttled_once)
    slept: list[float] = []
    monkeypatch.setattr(student_table, "time", SimpleNamespace(sleep=slept.append))  # no backoff wait
    result = lookup(recognition(*names))
    assert [s["name"] for s in result["students"]] == names
    assert result["missing"] == []
    assert asked == [names, names[len(names) // 2 :]]
    assert slept == [0.05]  # one backoff before asking again


def test_keys_left_unprocessed_after_every_retry_fail_the_step(cloud, lookup, monkeypatch):
    seed(cloud, SAMPLE_STUDENTS)
    client = cloud.dynamodb
    attempts = []

    def always_throttled(RequestItems):
        attempts.append(RequestItems)
        return {"Responses": {}, "UnprocessedKeys": RequestItems}

    monkeypatch.setattr(client, "batch_get_item", always_throttled)
    slept: list[float] = []
    monkeypatch.setattr(student_table, "time", SimpleNamespace(sleep=slept.append))
    with pytest.raises(StudentTableUnavailable, match="unprocessed"):
        lookup(recognition("mr_bean"))
    assert len(attempts) == 5
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.8]  # backoff doubling after each attempt
