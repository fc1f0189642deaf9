"""EnrollStudents: photos under enrollment/<name>/ make that student's encodings in the known-faces file,
with a report per photo; conditional writes keep a concurrent writer's update; no photos erase them."""

import json

import cv2
import numpy as np
import pytest

from classroom_vision.known_faces import KnownFaces
from devstack.s3_events import s3_event
from tests.conftest import FACES
from tests.unit.conftest import course_known_faces, import_function_module

TRAIN = FACES / "train"


def jpeg(rgb_or_bgr: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", rgb_or_bgr)[1].tobytes()


def scaled(path, factor: float) -> bytes:
    image = cv2.imread(str(path))
    return jpeg(cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))


def blurred(path) -> bytes:
    return jpeg(cv2.GaussianBlur(cv2.imread(str(path)), (41, 41), 0))


@pytest.fixture
def enrolment(cloud, load):
    """Put photos under enrollment/<name>/ (or delete them) and run the handler on S3's event."""
    handler = load("enroll_students")
    bucket, key = cloud["KnownFacesBucketName"], cloud["KnownFacesKey"]

    def put(name: str, photos: dict[str, bytes]) -> dict | None:
        for filename, body in photos.items():
            cloud.s3.put_object(Bucket=bucket, Key=f"enrollment/{name}/{filename}", Body=body)
        return handler(s3_event(bucket, f"enrollment/{name}/{next(iter(photos))}", 1, "x"))

    def delete(name: str, filenames: list[str]) -> dict | None:
        for filename in filenames:
            cloud.s3.delete_object(Bucket=bucket, Key=f"enrollment/{name}/{filename}")
        return handler(
            s3_event(
                bucket, f"enrollment/{name}/{filenames[0]}", 0, "x", event_name="s3:ObjectRemoved:Delete"
            )
        )

    def known() -> KnownFaces:
        if not cloud.s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"]:
            return KnownFaces.from_pairs([])  # nobody enrolled yet: no file
        return KnownFaces.from_bytes(cloud.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def report(name: str) -> dict:
        body = cloud.s3.get_object(Bucket=cloud["OutputBucketName"], Key=f"enrollment-reports/{name}.json")
        return json.loads(body["Body"].read())

    def seed(faces: KnownFaces) -> None:
        cloud.s3.put_object(Bucket=bucket, Key=key, Body=faces.to_bytes())

    return put, delete, known, report, seed


def test_photos_enrol_a_student_with_one_encoding_each(enrolment):
    put, _delete, known, report, seed = enrolment
    seed(course_known_faces())
    answer = put("jon_snow", {p.name: p.read_bytes() for p in sorted((TRAIN / "kit_harington").iterdir())})
    assert answer["enrolled"] and answer["encodings"] == 2
    faces = known()
    assert int((faces.names == "jon_snow").sum()) == 2
    assert set(course_known_faces().people) < set(faces.people)  # nobody else lost
    assert report("jon_snow") == answer
    assert [p["used"] for p in answer["photos"]] == [True, True]


def test_unusable_photos_are_reported_with_their_reason_and_leave_the_student_out(enrolment):
    put, _delete, known, report, _seed = enrolment
    blank = jpeg(np.full((400, 400, 3), 200, np.uint8))
    photos = {
        "blank.jpg": blank,
        "two.jpg": (FACES / "test" / "two_people.jpg").read_bytes(),
        "tiny.jpg": scaled(TRAIN / "kit_harington" / "john2.jpeg", 0.12),
        "blurred.jpg": blurred(TRAIN / "kit_harington" / "john2.jpeg"),
        "notes.txt": b"not a photo",
    }
    answer = put("nobody_usable", photos)
    reasons = {p["key"].rsplit("/", 1)[1]: p["reason"] for p in answer["photos"]}
    assert reasons["blank.jpg"] == "no face found"
    assert reasons["two.jpg"].endswith("faces found, expected one")
    assert reasons["tiny.jpg"].startswith("face too small") and "24 px" in reasons["tiny.jpg"]
    assert reasons["blurred.jpg"].startswith("too blurred")
    assert reasons["notes.txt"].startswith("not a decodable image")
    assert answer["enrolled"] is False and answer["encodings"] == 0
    assert "nobody_usable" not in known().people
    assert report("nobody_usable")["enrolled"] is False


def test_a_face_already_enrolled_under_another_name_is_flagged_not_added(enrolment):
    put, _delete, known, _report, seed = enrolment
    seed(course_known_faces())  # has president_obama
    answer = put("barack", {"obama.jpg": (TRAIN / "obama" / "obama.jpg").read_bytes()})
    (photo,) = answer["photos"]
    assert photo["used"] is False and photo["looks_like"] == "president_obama"
    assert photo["distance"] < 0.6 and "looks like president_obama" in photo["reason"]
    assert "barack" not in known().people


def test_deleting_every_photo_erases_the_student_and_their_report(enrolment, cloud):
    put, delete, known, _report, seed = enrolment
    seed(course_known_faces())
    photos = {p.name: p.read_bytes() for p in sorted((TRAIN / "rose_leslie").iterdir())}
    put("rose", photos)
    delete("rose", ["img1.jpg"])
    assert int((known().names == "rose").sum()) == 1  # one photo left: one encoding
    assert delete("rose", ["img2.jpg"]) is None
    assert "rose" not in known().people
    assert known().people == course_known_faces().people
    listed = cloud.s3.list_objects_v2(Bucket=cloud["OutputBucketName"], Prefix="enrollment-reports/")
    assert listed.get("KeyCount") == 0


def test_a_key_outside_a_students_folder_is_ignored(enrolment, cloud, load):
    handler = load("enroll_students")
    bucket = cloud["KnownFacesBucketName"]
    assert handler(s3_event(bucket, "enrollment/loose.jpg", 1, "x")) is None


def test_a_concurrent_update_is_kept_the_write_is_made_again_on_it(cloud, load):
    """Writer A reads the file; writer B updates it before A writes; A's If-Match write is refused
    and A makes its change again on B's file: both students are in it."""
    load("enroll_students")
    known = import_function_module("enroll_students", "known")
    bucket, key = cloud["KnownFacesBucketName"], cloud["KnownFacesKey"]
    cloud.s3.put_object(Bucket=bucket, Key=key, Body=course_known_faces().to_bytes())
    a, b = np.full(128, 0.1), np.full(128, 0.2)
    calls = []

    def a_change(faces: KnownFaces) -> KnownFaces:
        calls.append(len(faces.names))
        if len(calls) == 1:  # B writes between A's read and A's write
            known.update(bucket, key, lambda f: known.replace(f, "student_b", [b]))
        return known.replace(faces, "student_a", [a])

    written, etag = known.update(bucket, key, a_change, sleep=lambda _s: None)
    assert len(calls) == 2  # A's first write was refused
    final = KnownFaces.from_bytes(cloud.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert {"student_a", "student_b"} <= set(final.people)
    assert cloud.s3.head_object(Bucket=bucket, Key=key)["ETag"] == etag
    assert len(final.names) == len(course_known_faces().names) + 2 == len(written.names)


def test_the_first_write_makes_the_file_only_if_nobody_else_did(cloud, load):
    load("enroll_students")
    known = import_function_module("enroll_students", "known")
    bucket = cloud["KnownFacesBucketName"]
    cloud.s3.delete_object(Bucket=bucket, Key=cloud["KnownFacesKey"])
    nothing, etag = known.update(bucket, "fresh.npz", lambda f: known.replace(f, "a", []))
    assert (len(nothing.names), etag) == (0, "")  # erasing from no file makes no (empty) file
    assert cloud.s3.list_objects_v2(Bucket=bucket, Prefix="fresh.npz")["KeyCount"] == 0
    faces, _etag = known.update(bucket, "fresh.npz", lambda f: known.replace(f, "a", [np.zeros(128)]))
    assert faces.people == ["a"]


def test_the_rule_sends_created_and_deleted_photos_under_enrollment_of_the_known_faces_bucket():
    from classroom_common.states import EnrollStudentInput
    from tests.unit.conftest import TEMPLATE

    rules = TEMPLATE.event_rules("EnrollStudentsFunction")
    assert rules == {
        "EnrollmentPhotosChanged": {
            "source": ["aws.s3"],
            "detail-type": ["Object Created", "Object Deleted"],
            "detail": {
                "bucket": {"name": [TEMPLATE.physical_name("KnownFacesBucket")]},
                "object": {"key": [{"prefix": "enrollment/"}]},
            },
        }
    }
    for event_name in ("s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"):
        EnrollStudentInput.model_validate(s3_event("b", "enrollment/a/1.jpg", 1, "e", event_name=event_name))


def test_the_function_writes_only_the_known_faces_file_and_its_reports():
    from tests.unit.conftest import TEMPLATE

    policies = TEMPLATE.resources["EnrollStudentsFunction"]["Properties"]["Policies"]
    (inline,) = [p["Statement"] for p in policies if "Statement" in p]
    assert {(tuple(np.atleast_1d(s["Action"])), s["Resource"]["Fn::Sub"]) for s in inline} == {
        (("s3:PutObject",), "${KnownFacesBucket.Arn}/${KnownFacesKey}"),
        (("s3:PutObject", "s3:DeleteObject"), "${OutputBucket.Arn}/enrollment-reports/*"),
    }


def test_png_and_webp_photos_are_used_too(enrolment):
    put, _delete, known, _report, _seed = enrolment
    photos = sorted((TRAIN / "kit_harington").iterdir())
    answer = put(
        "jon_snow",
        {
            "a.png": cv2.imencode(".png", cv2.imread(str(photos[0])))[1].tobytes(),
            "b.webp": cv2.imencode(".webp", cv2.imread(str(photos[1])))[1].tobytes(),
        },
    )
    assert [p["used"] for p in answer["photos"]] == [True, True]
    assert int((known().names == "jon_snow").sum()) == 2
