"""`classroom forget` against moto: a student whose encodings came from a seeded file (no photos) is
taken out of it and of its old versions, their record, roster, statuses and sightings; nobody else's."""

import json

import numpy as np
import pytest

from classroom_vision.known_faces import KnownFaces
from devstack import cli, forget
from devstack.deployment import Deployment
from tests.unit.conftest import TEMPLATE


def faces(*names: str) -> bytes:
    return KnownFaces.from_pairs([(n, np.full(128, i / 10)) for i, n in enumerate(names)]).to_bytes()


@pytest.fixture
def school(cloud):
    d = Deployment(TEMPLATE.outputs())
    s3, db = d.client("s3"), d.client("dynamodb")
    bucket, key = d["KnownFacesBucketName"], d["KnownFacesKey"]
    s3.put_object(Bucket=bucket, Key=key, Body=faces("jon", "big_jon"))
    s3.put_object(Bucket=bucket, Key=key, Body=faces("jon", "big_jon", "arya"))
    for name in ("jon", "big_jon"):
        db.put_item(TableName=d["StudentsTableName"], Item={"name": {"S": name}})
    table = d["CoursesTableName"]
    seen = json.dumps([{"name": "jon", "first_seen": 1.0}, {"name": "big_jon", "first_seen": 2.0}])
    for item in ("ROSTER#jon", "ROSTER#big_jon", "STATUS#w1#jon", "STATUS#w1#big_jon"):
        db.put_item(TableName=table, Item={"course": {"S": "c1"}, "item": {"S": item}})
    db.put_item(
        TableName=table, Item={"course": {"S": "c1"}, "item": {"S": "PART#w1#"}, "students": {"S": seen}}
    )
    return d


def test_forget_takes_out_only_that_student(school):
    d = school
    lines = forget.forget(d, "jon", timeout=5)
    assert lines[0].startswith("photos: 0 (0 versions)")
    assert lines[1].startswith("encodings: 1 from")
    assert lines[2] == "old versions of known_faces.npz holding them: 2"
    assert "student record: 1 from" in lines[4]
    assert lines[5].startswith("attendance rows: 2 from") and lines[5].endswith("(c1)")
    assert lines[6].startswith("sightings: from 1 uploads")
    s3, db = d.client("s3"), d.client("dynamodb")
    bucket, key = d["KnownFacesBucketName"], d["KnownFacesKey"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    held = [
        KnownFaces.from_bytes(
            s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
        ).people
        for v in versions
    ]
    assert held == [["arya", "big_jon"]]
    items = {i["item"]["S"]: i for i in db.scan(TableName=d["CoursesTableName"])["Items"]}
    assert sorted(items) == ["PART#w1#", "ROSTER#big_jon", "STATUS#w1#big_jon"]
    assert [s["name"] for s in json.loads(items["PART#w1#"]["students"]["S"])] == ["big_jon"]
    assert "Item" in db.get_item(TableName=d["StudentsTableName"], Key={"name": {"S": "big_jon"}})


def test_forget_needs_a_stack(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["forget", "jon"])
    assert exited.value.code == 2
    assert "forget needs --endpoint URL or --stack NAME" in capsys.readouterr().err


def test_enroll_without_out_needs_a_stack_and_seed_needs_out(capsys, tmp_path):
    for args in (["enroll", str(tmp_path)], ["enroll", str(tmp_path), "--endpoint", "x", "--seed"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(args)
        assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "give --out FILE, or --endpoint/--stack to enrol on a stack" in err
    assert "--seed and --merge work on the file --out writes" in err
