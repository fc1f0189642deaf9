"""Enrolling and forgetting students through the local stack: photos uploaded under enrollment/<name>/
enrol them (EnrollStudents, on the rule's events), `classroom enroll --endpoint` uploads and prints the
reports, and `classroom forget` erases a student from the known faces, the student table and the register.

The people are the labelled photos of tests/data/faces/train who are not among the course's known faces
(kit_harington, rose_leslie, alex_lacamoire), under names of their own; the known faces are the course's
for this module, and what they were before is put back after it."""

import json
import shutil
import threading

import cv2
import numpy as np
import pytest

from classroom_common import courses
from classroom_vision.known_faces import KnownFaces
from devstack import cli, enrolment, forget, runs, seeding
from tests.conftest import FACES
from tests.integration.test_hard_videos import still, write_clip

pytestmark = pytest.mark.stack

TRAIN, TEST = FACES / "train", FACES / "test"
COURSE = "enrolment-101"
RECORD = {"name": "jon_snow", "major": "history", "year": "senior"}


def known(stack) -> KnownFaces:
    d = stack.deployment
    body = d.client("s3").get_object(Bucket=d["KnownFacesBucketName"], Key=d["KnownFacesKey"])["Body"]
    return KnownFaces.from_bytes(body.read())


@pytest.fixture(scope="module")
def course_faces(stack):
    """The course's known faces for this module; the file as it was, after."""
    d = stack.deployment
    before = (
        d.client("s3").get_object(Bucket=d["KnownFacesBucketName"], Key=d["KnownFacesKey"])["Body"].read()
    )
    seeding.seed_known_faces(d)
    yield
    d.client("s3").put_object(Bucket=d["KnownFacesBucketName"], Key=d["KnownFacesKey"], Body=before)


def photos_of(folder, person: str, name: str):
    """A PHOTOS_DIR with ``name``/ holding ``person``'s training photos."""
    shutil.copytree(TRAIN / person, folder / name)
    return folder


@pytest.fixture(scope="module")
def jon_snow(stack, course_faces, tmp_path_factory):
    """kit_harington's photos enrolled as jon_snow with `classroom enroll --endpoint`, a student record,
    a course whose roster has him, and a clip of him uploaded as its session week-1: its outcome."""
    d = stack.deployment
    folder = photos_of(tmp_path_factory.mktemp("photos"), "kit_harington", "jon_snow")
    assert cli.main(["enroll", str(folder), "--endpoint", stack.endpoint]) == 0
    d.client("dynamodb").put_item(
        TableName=d["StudentsTableName"], Item={k: {"S": v} for k, v in RECORD.items()}
    )
    courses.store_roster(d["CoursesTableName"], COURSE, ["jon_snow"], d.client("dynamodb"))
    clip = clip_of_jon(tmp_path_factory.mktemp("clip"))
    (outcome,) = runs.wait(d, [runs.upload(d, clip, key=f"{COURSE}/week-1.mp4")])
    return outcome


def clip_of_jon(folder):
    return write_clip(folder / "jon.mp4", still("johnsnow_test1"))


def test_photos_uploaded_enrol_a_student_and_a_video_of_them_names_them(jon_snow, stack, capsys):
    assert int((known(stack).names == "jon_snow").sum()) == 2
    assert jon_snow.status == "SUCCEEDED", jon_snow
    assert jon_snow.students == [RECORD] and jon_snow.unknown_faces == 0
    d = stack.deployment
    statuses = courses._items(d["CoursesTableName"], COURSE, courses.STATUS, d.client("dynamodb"))
    assert [i["item"]["S"] for i in statuses] == ["STATUS#week-1#jon_snow"]


def test_two_students_enrolled_at_once_are_both_in_the_file(stack, course_faces):
    d = stack.deployment
    s3, bucket = d.client("s3"), d["KnownFacesBucketName"]
    people = {"rose": "rose_leslie", "alex": "alex_lacamoire"}
    uploads: list[enrolment.Uploaded] = []

    def put(name: str, person: str) -> None:
        keys = []
        for photo in sorted((TRAIN / person).iterdir()):
            key = f"enrollment/{name}/{photo.name}"
            s3.put_object(Bucket=bucket, Key=key, Body=photo.read_bytes())
            keys.append(key)
        uploads.append(
            enrolment.Uploaded(name, tuple(keys), s3.head_object(Bucket=bucket, Key=keys[-1])["LastModified"])
        )

    threads = [threading.Thread(target=put, args=item) for item in people.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reports = enrolment.wait(d, uploads, timeout=120)
    assert {n: r["encodings"] for n, r in reports.items()} == {"rose": 2, "alex": 1}
    faces = known(stack)
    assert {"rose", "alex"} <= set(faces.people)
    assert int((faces.names == "rose").sum()) == 2 and int((faces.names == "alex").sum()) == 1
    assert set(seeding.read_known_faces(seeding.SAMPLE_ENCODINGS).people) < set(faces.people)
    for name in people:  # removing their photos (every version) erases them
        for version in s3.list_object_versions(Bucket=bucket, Prefix=f"enrollment/{name}/")["Versions"]:
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    for name in people:
        forget.wait_until_gone(s3, bucket, d["KnownFacesKey"], name, timeout=120)
    after = set(known(stack).people)
    assert not {"rose", "alex"} & after
    assert set(seeding.read_known_faces(seeding.SAMPLE_ENCODINGS).people) <= after  # nobody else touched


def test_unusable_photos_are_reported_with_reasons_and_a_known_face_is_flagged(
    stack, course_faces, tmp_path, capsys
):
    folder = tmp_path / "photos"
    (folder / "nobody").mkdir(parents=True)
    cv2.imwrite(str(folder / "nobody" / "blank.jpg"), np.full((300, 300, 3), 180, np.uint8))
    shutil.copy(TEST / "two_people.jpg", folder / "nobody" / "two.jpg")
    face = cv2.imread(str(TRAIN / "kit_harington" / "john2.jpeg"))
    cv2.imwrite(
        str(folder / "nobody" / "tiny.jpg"),
        cv2.resize(face, None, fx=0.12, fy=0.12, interpolation=cv2.INTER_AREA),
    )
    (folder / "barack").mkdir()
    shutil.copy(TRAIN / "obama" / "obama.jpg", folder / "barack" / "obama.jpg")
    capsys.readouterr()
    assert cli.main(["enroll", str(folder), "--endpoint", stack.endpoint]) == 1  # nobody enrolled
    out = capsys.readouterr().out
    assert "nobody: NOT enrolled: no usable photo (0 of 3 photos used)" in out
    assert "rejected blank.jpg: no face found" in out
    assert "rejected two.jpg: " in out and "faces found, expected one" in out
    assert "rejected tiny.jpg: face too small" in out
    assert "barack: NOT enrolled" in out and "rejected obama.jpg: looks like president_obama" in out
    assert not {"nobody", "barack"} & set(known(stack).people)
    for name in ("nobody", "barack"):
        assert cli.main(["forget", name, "--endpoint", stack.endpoint]) == 0


def test_forget_erases_the_student_and_the_next_video_has_an_unknown_face(jon_snow, stack, tmp_path, capsys):
    d = stack.deployment
    capsys.readouterr()
    assert cli.main(["forget", "jon_snow", "--endpoint", stack.endpoint]) == 0
    out = capsys.readouterr().out
    assert "deleted photos: 2 (2 versions) under" in out
    assert "deleted encodings: 2 from" in out
    assert "deleted student record: 1 from" in out
    assert "deleted attendance rows: 2 from" in out and COURSE in out  # roster and week-1's status
    (outcome,) = runs.wait(d, [runs.upload(d, clip_of_jon(tmp_path), key="after/jon.mp4")])
    assert outcome.status == "SUCCEEDED", outcome
    assert outcome.students == [] and outcome.unknown_faces == 1
    s3, bucket, key = d.client("s3"), d["KnownFacesBucketName"], d["KnownFacesKey"]
    assert "jon_snow" not in known(stack).people
    for version in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]:
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])["Body"].read()
        assert "jon_snow" not in KnownFaces.from_bytes(body).people
    assert not s3.list_object_versions(Bucket=bucket, Prefix="enrollment/jon_snow/").get("Versions")
    assert "Item" not in d.client("dynamodb").get_item(
        TableName=d["StudentsTableName"], Key={"name": {"S": "jon_snow"}}
    )
    items = d.client("dynamodb").scan(TableName=d["CoursesTableName"])["Items"]
    assert not [i for i in items if i["item"]["S"].endswith("jon_snow")]
    assert "deleted sightings: from 1 uploads in" in out
    assert not [i for i in items if "jon_snow" in json.dumps(i)]
    assert enrolment.report(d, "jon_snow") is None
