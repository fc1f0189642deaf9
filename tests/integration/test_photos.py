"""Class photos through the local stack: a JPEG, PNG or WebP upload is recognised as a one-frame clip,
with a clip's outputs (CSV, attendance, annotated frame); a broken one fails as InvalidImage.

The photos are frames of the bundled sample clips, each encoded here in one format (cv2.imencode): the
student each clip shows (``EXPECTED``) is the one its photo must name, with the course's known faces; and
real photos from tests/data/faces/test of two of the course's students (Obama and Biden) beside a
stranger, and of strangers only.
"""

import csv
import io
import json

import cv2
import numpy as np
import pytest

from classroom_common import keys
from devstack import cli, runs
from synthetic.photos import encoded, exif_oriented
from tests.conftest import EXPECTED, FACES, SAMPLES
from tests.integration.conftest import assert_untouched

pytestmark = pytest.mark.stack

# (clip the photo is a frame of, key it is uploaded as, format)
PHOTOS = [
    ("test_0.mp4", "photos/monday.jpg", ".jpg"),
    ("test_8.mp4", "photos/2024/fall/tuesday.png", ".png"),
    ("test_5.mp4", "photos/wednesday.webp", ".webp"),
    ("test_7.mp4", "photos/thursday.jpeg", ".jpg"),
]


def frame_of(clip: str, at: float = 0.5) -> np.ndarray:
    """The frame ``at`` (a fraction) of the way through a bundled clip: what a teacher's photo shows."""
    capture = cv2.VideoCapture(str(SAMPLES / "videos" / clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(capture.get(cv2.CAP_PROP_FRAME_COUNT) * at))
    ok, frame = capture.read()
    capture.release()
    assert ok, clip
    return frame


def output(stack, key: str) -> bytes:
    d = stack.deployment
    return d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=key)["Body"].read()


def test_class_photos_name_their_students_with_a_clips_outputs(stack):
    d = stack.deployment
    bodies = {key: encoded(frame_of(clip), extension) for clip, key, extension in PHOTOS}
    uploads = [runs.upload(d, SAMPLES / key, key=key, body=bodies[key]) for _clip, key, _ in PHOTOS]
    outcomes = runs.wait(d, uploads, timeout=300)

    for (clip, key, _extension), result in zip(PHOTOS, outcomes, strict=True):
        name, major, year = EXPECTED[clip]
        assert result.status == "SUCCEEDED", result
        assert result.output_key == keys.csv_key(key)
        rows = list(csv.DictReader(io.StringIO(output(stack, result.output_key).decode())))
        assert rows == [{"name": name, "major": major, "year": year}]
        assert result.students == rows and result.unknown_faces == 0

        # one frame looked at, at 0 s: first seen = last seen = 0, seen in 1 of 1
        assert result.attendance_key == keys.attendance_key(key)
        attendance = json.loads(output(stack, result.attendance_key))
        assert attendance == {
            "video": key,
            "frames_sampled": 1,
            "students": [
                {
                    "name": name,
                    "major": major,
                    "year": year,
                    "first_seen": 0.0,
                    "last_seen": 0.0,
                    "frames_seen": 1,
                }
            ],
        }

        # the annotated frame is the photo, with its student boxed
        annotated = d.client("s3").get_object(Bucket=d["ArtifactsBucketName"], Key=result.annotated_key)
        image = cv2.imdecode(np.frombuffer(annotated["Body"].read(), np.uint8), cv2.IMREAD_COLOR)
        photo = cv2.resize(frame_of(clip), image.shape[1::-1], interpolation=cv2.INTER_AREA)
        assert cv2.absdiff(image, photo).mean() < 8  # the photo (scaled down), a box and a label on it
        assert cv2.absdiff(image, photo).max() > 100
        assert_untouched(stack, key, bodies[key])


STUDENT_RECORDS = {name: (major, year) for name, major, year in EXPECTED.values()}


def row(name: str) -> dict:
    """The student's CSV row."""
    major, year = STUDENT_RECORDS[name]
    return {"name": name, "major": major, "year": year}


def test_real_photos_name_the_students_in_them_and_no_one_else(stack):
    """Obama and Biden waving, a girl (no student) at the edge; the same two as a phone held upright
    stores them (pixels on their side, EXIF orientation 6), which only turned upright shows faces; two
    strangers. Students as the CSV names them, the girl and the strangers as unknown faces."""
    d = stack.deployment
    both = (FACES / "test" / "obama_and_biden.jpg").read_bytes()
    sideways = cv2.rotate(
        cv2.imdecode(np.frombuffer(both, np.uint8), cv2.IMREAD_COLOR), cv2.ROTATE_90_COUNTERCLOCKWISE
    )
    bodies = {
        "photos/real/obama_and_biden.jpg": both,
        "photos/real/upright-phone.jpg": exif_oriented(encoded(sideways, ".jpg"), 6),
        "photos/real/kit_with_rose.jpg": (FACES / "test" / "kit_with_rose.jpg").read_bytes(),
    }
    uploads = [runs.upload(d, SAMPLES / key, key=key, body=body) for key, body in bodies.items()]
    outcomes = dict(zip(bodies, runs.wait(d, uploads, timeout=300), strict=True))

    for key in ("photos/real/obama_and_biden.jpg", "photos/real/upright-phone.jpg"):
        result = outcomes[key]
        assert result.status == "SUCCEEDED", result
        assert result.students == [row("president_biden"), row("president_obama")], key
        assert result.unknown_faces == 1, key  # the girl
        assert [s["first_seen"] for s in result.attendance["students"]] == [0.0, 0.0]
    strangers = outcomes["photos/real/kit_with_rose.jpg"]
    assert strangers.status == "SUCCEEDED" and strangers.students == [] and strangers.unknown_faces == 2
    assert output(stack, strangers.output_key) == b"name,major,year\n"
    for key, body in bodies.items():
        assert_untouched(stack, key, body)


def test_a_broken_photo_fails_as_invalid_image_with_one_report(stack):
    d = stack.deployment
    whole = encoded(frame_of("test_2.mp4"), ".jpg")
    cases = {
        "photos/bad/notes.jpg": b"these are my lecture notes, not a photo\n" * 20,
        "photos/bad/cut.jpg": whole[: len(whole) // 2],
        "photos/bad/cut.png": encoded(frame_of("test_2.mp4"), ".png")[:5000],
    }
    uploads = [runs.upload(d, SAMPLES / key, key=key, body=body) for key, body in cases.items()]
    good = runs.upload(d, SAMPLES / "good.jpg", key="photos/good/test_2.jpg", body=whole)
    outcomes = runs.wait(d, [*uploads, good], timeout=300)

    for upload, result in zip(uploads, outcomes, strict=False):
        assert result.status == "FAILED", result
        assert result.error["error"] == "InvalidImage", result
        report = json.loads(output(stack, keys.error_report_key(upload.key)))
        assert report["step"] == "ExtractFrames" and report["error"] == "InvalidImage"
        assert report["execution"] == result.arn and report["video"]["key"] == upload.key
        assert_untouched(stack, upload.key, cases[upload.key])
        listed = (
            d.client("s3")
            .list_objects_v2(Bucket=d["OutputBucketName"], Prefix=keys.stem(upload.key))
            .get("Contents", [])
        )
        assert listed == []  # no CSV beside the error report: exactly one outcome
    causes = {u.key: r.message for u, r in zip(uploads, outcomes, strict=False)}
    assert "named as a photo" in causes["photos/bad/notes.jpg"]
    assert "cut short" in causes["photos/bad/cut.jpg"] and "cut short" in causes["photos/bad/cut.png"]
    assert outcomes[-1].status == "SUCCEEDED" and outcomes[-1].students[0]["name"] == "mr_bean"


def test_classroom_run_takes_photos(stack, tmp_path):
    """`classroom run photo.jpg`: the photo goes up as an image, and its CSV, attendance and annotated
    frame come down, as a video's do."""
    photo = tmp_path / "class photo.png"
    photo.write_bytes(encoded(frame_of("test_1.mp4"), ".png"))
    out = tmp_path / "out"
    code = cli.main(["run", "--no-seed", "--endpoint", stack.endpoint, "--out", str(out), str(photo)])
    assert code == 0
    assert (out / "class photo.csv").read_text() == "name,major,year\npresident_biden,history,sophomore\n"
    assert json.loads((out / "class photo.attendance.json").read_text())["frames_sampled"] == 1
    assert (out / "class photo.annotated.jpg").exists()
    d = stack.deployment
    head = d.client("s3").head_object(Bucket=d["InputBucketName"], Key="class photo.png")
    assert head["ContentType"] == "image/png"
