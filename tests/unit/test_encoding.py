"""The encoder on OpenCV's dnn gives dlib's own encodings: same numbers, same names, on real faces.

dlib's ``compute_face_descriptor`` (the ResNet in the .dat that face_recognition uses, and that the
course's known faces were made with) is the reference; ``classroom_vision.encoding`` runs the same
network converted to ONNX. This test and the bench's baseline are the only places dlib's ResNet
still runs.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dlib
import numpy as np
import pytest

from classroom_vision import encoding, threads
from classroom_vision.boxes import Box
from classroom_vision.detection import detect
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import match
from classroom_vision.models import model_path
from tests.conftest import EXPECTED, FACES
from tests.unit.conftest import clip_jpegs, course_known_faces

TOLERANCE = 1e-5  # per component; dlib's encodings are 1.3-1.6 long, and names are matched at 0.6
FRAMES_PER_CLIP = 2  # the first sampled frames with a face, per sample clip
MIN_FACES = 20


@dataclass(frozen=True, eq=False)  # hashed by identity, for the caches below
class Picture:
    source: str  # "test_0.mp4@123" or a photo's path under tests/data/faces
    rgb: np.ndarray
    boxes: list[Box]


@cache
def pictures() -> tuple[Picture, ...]:
    """Frames of every sample clip and every test photo, each with the faces the detector finds."""
    found = []
    for clip in sorted(EXPECTED):
        taken = 0
        for index, jpeg in clip_jpegs(clip):
            rgb = decode_rgb(jpeg)
            if boxes := detect(rgb):
                found.append(Picture(f"{clip}@{index}", rgb, boxes))
                taken += 1
                if taken == FRAMES_PER_CLIP:
                    break
    for photo in sorted(p for p in FACES.rglob("*") if p.suffix in (".jpg", ".jpeg")):
        rgb = decode_rgb(photo.read_bytes())
        found.append(Picture(str(photo.relative_to(FACES)), rgb, detect(rgb)))
    return tuple(found)


@cache
def dlib_encodings(picture: Picture) -> np.ndarray:
    """dlib's own encodings of the picture's faces: compute_face_descriptor, one face at a time."""
    predictor = dlib.shape_predictor(str(model_path(encoding.LANDMARKS)))
    resnet = dlib.face_recognition_model_v1(str(model_path("dlib_face_recognition_resnet_model_v1.dat")))
    encodings = []
    for b in picture.boxes:
        shape = predictor(picture.rgb, dlib.rectangle(b.left, b.top, b.right, b.bottom))
        encodings.append(np.array(resnet.compute_face_descriptor(picture.rgb, shape), dtype=np.float64))
    return np.array(encodings).reshape(len(picture.boxes), 128)


@cache
def our_encodings(picture: Picture) -> np.ndarray:
    """Ours: every face of the picture in one call, as the recognize step encodes a frame."""
    faces = encoding.encode(picture.rgb, picture.boxes)
    assert [f.box for f in faces] == picture.boxes
    return np.array([f.encoding for f in faces]).reshape(len(picture.boxes), 128)


def test_the_same_encodings_as_dlib_on_real_faces():
    pics = pictures()
    ours = np.concatenate([our_encodings(p) for p in pics])
    theirs = np.concatenate([dlib_encodings(p) for p in pics])
    clips = {p.source.split("@")[0] for p in pics if "@" in p.source}
    assert clips == set(EXPECTED), "a sample clip gave no frame with a face"
    assert len(ours) >= MIN_FACES, f"only {len(ours)} faces to compare"
    assert ours.dtype == np.float64 and ours.shape == theirs.shape
    worst = np.abs(ours - theirs).max(axis=1)
    print(f"{len(ours)} faces from {len(pics)} pictures: max abs difference {worst.max():.2e}")
    assert worst.max() < TOLERANCE, {
        p.source: float(np.abs(our_encodings(p) - dlib_encodings(p)).max()) for p in pics
    }


def names(encodings: np.ndarray, known: KnownFaces) -> list[str | None]:
    return [m.name for m in match(encodings, known, threshold=0.6)]


def test_the_same_names_as_dlib_against_the_course_known_faces():
    known = course_known_faces()
    for picture in pictures():
        expected = names(dlib_encodings(picture), known)
        assert names(our_encodings(picture), known) == expected, picture.source
        if "@" in picture.source:
            assert EXPECTED[picture.source.split("@")[0]][0] in expected


def test_the_same_names_as_dlib_for_photos_enrolled_either_way():
    """The test photos against the training photos, both encoded by dlib, or both by us."""
    train = [p for p in pictures() if p.source.startswith("train/")]
    assert train and all(len(p.boxes) == 1 for p in train)

    def known(encode) -> KnownFaces:
        return KnownFaces.from_pairs([(Path(p.source).parent.name, encode(p)[0]) for p in train])

    ours, theirs = known(our_encodings), known(dlib_encodings)
    for picture in (p for p in pictures() if p.source.startswith("test/")):
        assert names(our_encodings(picture), ours) == names(dlib_encodings(picture), theirs), picture.source


def test_a_frame_in_one_call_equals_its_faces_one_by_one():
    picture = next(p for p in pictures() if len(p.boxes) >= 3)
    one_by_one = np.array([encoding.encode(picture.rgb, [b])[0].encoding for b in picture.boxes])
    np.testing.assert_allclose(our_encodings(picture), one_by_one, rtol=0, atol=1e-6)


def test_frames_bringing_more_faces_than_the_last_go_through_the_same_network():
    """One network serves every frame, whatever its number of faces: 1, then 60, then 2, then 90 (OpenCV
    5's classic dnn engine crashed as the batch grew)."""
    picture = next(p for p in pictures() if len(p.boxes) >= 3)
    each = our_encodings(picture)
    for count in (1, 60, 2, 90):
        order = [i % len(picture.boxes) for i in range(count)]
        got = encoding.encode(picture.rgb, [picture.boxes[i] for i in order])
        np.testing.assert_allclose([f.encoding for f in got], each[order], rtol=0, atol=1e-6)


def test_no_faces_no_work():
    assert encoding.encode(np.zeros((10, 10, 3), np.uint8), []) == []


@pytest.mark.parametrize(
    ("memory", "vcpus"), [("128", 1), ("1024", 1), ("1769", 1), ("3008", 1), ("3538", 2), ("10240", 5)]
)
def test_one_thread_unless_lambda_gives_more_than_one_vcpu(monkeypatch, memory, vcpus):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory)
    assert threads.vcpus() == vcpus


def test_off_lambda_the_machines_cores(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 6)
    assert threads.vcpus() == 6
