"""Harder clips than the course's, end to end through the local stack, against faces enrolled from photos.

The clips are synthesized with OpenCV (mp4v) from tests/data/faces/test: two people, a face that
only shows up late, mirrored, dark, low resolution, an unknown third person, nobody at all, and a
passer-by seen in a single sampled frame. The known faces are enrolled from tests/data/faces/train
(``classroom enroll``) for this module only; the course's set is put back afterwards.
"""

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from classroom_vision.known_faces import KnownFaces
from devstack import cli, function_path, history, runs, seeding
from tests.conftest import FACES

pytestmark = pytest.mark.stack

FPS = 12
SECONDS = 2
FRAMES = FPS * SECONDS  # 24: the default 7 samples are frames 1, 5, 8, 12, 15, 18, 22
SIZE = (640, 480)

# Records for the enrolled people (names are the train/ folder names); left in the table.
ENROLLED_STUDENTS = [
    {"id": 101, "name": "alex_lacamoire", "major": "music", "year": "junior"},
    {"id": 102, "name": "biden", "major": "history", "year": "senior"},
    {"id": 103, "name": "kit_harington", "major": "drama", "year": "sophomore"},
    {"id": 104, "name": "obama", "major": "law", "year": "senior"},
    {"id": 105, "name": "rose_leslie", "major": "drama", "year": "freshman"},
]
ROW = {s["name"]: {"name": s["name"], "major": s["major"], "year": s["year"]} for s in ENROLLED_STUDENTS}


# --- clip synthesis -------------------------------------------------------------------------------


def photo(name: str) -> np.ndarray:
    image = cv2.imread(str(FACES / "test" / f"{name}.jpg"))
    assert image is not None, name
    return image


def fit(image: np.ndarray, size: tuple[int, int] = SIZE, shift: int = 0) -> np.ndarray:
    """``image`` scaled to fit a ``size`` (width, height) grey frame, centred, moved ``shift`` px right."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 48, np.uint8)
    h, w = resized.shape[:2]
    top, left = (height - h) // 2, (width - w) // 2 + shift
    src_left, dst_left = max(0, -left), max(0, left)
    span = min(w - src_left, width - dst_left)
    frame[top : top + h, dst_left : dst_left + span] = resized[:, src_left : src_left + span]
    return frame


def drift(i: int) -> int:
    """A slow sideways sway, so consecutive frames differ as a camera's would."""
    return round(6 * np.sin(i / 4))


def title_card(size: tuple[int, int] = SIZE) -> np.ndarray:
    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = (90, 40, 20)
    cv2.putText(
        frame, "CSE 546 - Lecture 7", (40, height // 2 - 20), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255,) * 3, 2
    )
    cv2.putText(frame, "Attendance", (40, height // 2 + 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (200,) * 3, 2)
    return frame


def empty_room(size: tuple[int, int] = SIZE) -> np.ndarray:
    """Wall, whiteboard, desks and a window: shapes and edges, no face."""
    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = (170, 190, 200)
    frame[int(height * 0.65) :] = (60, 80, 110)
    cv2.rectangle(frame, (60, 40), (420, 220), (245, 245, 245), -1)
    cv2.rectangle(frame, (60, 40), (420, 220), (90, 90, 90), 3)
    cv2.putText(frame, "f(x) = x^2 + 1", (90, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (160, 40, 40), 2)
    cv2.rectangle(frame, (470, 40), (600, 200), (230, 200, 150), -1)
    cv2.line(frame, (535, 40), (535, 200), (80, 80, 80), 3)
    for x in range(20, width - 100, 150):
        cv2.rectangle(frame, (x, int(height * 0.7)), (x + 120, int(height * 0.78)), (40, 60, 90), -1)
        cv2.rectangle(frame, (x + 10, int(height * 0.78)), (x + 18, height - 10), (30, 30, 30), -1)
        cv2.rectangle(frame, (x + 102, int(height * 0.78)), (x + 110, height - 10), (30, 30, 30), -1)
    return frame


def write_clip(
    path: Path, frame_at: Callable[[int], np.ndarray], count: int = FRAMES, fps: int = FPS
) -> Path:
    height, width = frame_at(0).shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    try:
        for i in range(count):
            writer.write(frame_at(i))
    finally:
        writer.release()
    return path


def still(name: str, size: tuple[int, int] = SIZE, effect: Callable[[np.ndarray], np.ndarray] | None = None):
    image = photo(name)
    if effect:
        image = effect(image)
    return lambda i: fit(image, size, drift(i))


def mirror(image: np.ndarray) -> np.ndarray:
    return cv2.flip(image, 1)


def darker(image: np.ndarray, factor: float = 0.35) -> np.ndarray:
    return np.clip(image.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def late(name: str, start: float = 0.6):
    """The title card for the first ``start`` of the clip, then the photo."""
    card, face = title_card(), photo(name)
    return lambda i: card if i < start * FRAMES else fit(face, SIZE, drift(i))


def passer_by(base: Callable[[int], np.ndarray] | None, frames: range):
    """``base`` (or the empty room), with kit_harington's head in a corner only during ``frames``.

    The head (a 330 px square around the face of johnsnow_test1) is shown 200 px wide, so its
    face (~110 px) is big enough to be found beside a larger one in the same frame.
    """
    room = empty_room()
    head = photo("johnsnow_test1")[100:430, 200:530]
    small = cv2.resize(head, (200, 200), interpolation=cv2.INTER_AREA)

    def frame_at(i: int) -> np.ndarray:
        frame = base(i).copy() if base else room.copy()
        if i in frames:
            h, w = small.shape[:2]
            frame[SIZE[1] - h - 10 : SIZE[1] - 10, SIZE[0] - w - 10 : SIZE[0] - 10] = small
        return frame

    return frame_at


# --- the stack ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def enrolled(stack, tmp_path_factory):
    """The stack's known faces enrolled from tests/data/faces/train, for this module; the course's after.

    Through the CLI: ``classroom enroll … --seed`` and ``classroom seed --encodings <the .npz>``.
    """
    folder = tmp_path_factory.mktemp("enrolled")
    npz, students = folder / "known_faces.npz", folder / "students.json"
    students.write_text(json.dumps(ENROLLED_STUDENTS))
    endpoint = ["--endpoint", stack.endpoint]
    assert cli.main(["enroll", str(FACES / "train"), "--out", str(npz), "--quiet", "--seed", *endpoint]) == 0
    assert cli.main(["seed", "--encodings", str(npz), "--students", str(students), *endpoint]) == 0
    known = stack.deployment.client("s3").get_object(
        Bucket=stack.deployment["KnownFacesBucketName"], Key=stack.deployment["KnownFacesKey"]
    )
    assert KnownFaces.from_bytes(known["Body"].read()).people == sorted(ROW)
    yield npz
    seeding.seed_known_faces(stack.deployment)


def read_csv(stack, key: str) -> tuple[str, list[dict]]:
    body = stack.deployment.client("s3").get_object(Bucket=stack.deployment["OutputBucketName"], Key=key)
    text = body["Body"].read().decode()
    return text, list(csv.DictReader(io.StringIO(text)))


def run_clips(stack, clips: dict[str, Path], timeout: float = 300) -> dict[str, runs.Outcome]:
    uploads = [runs.upload(stack.deployment, path, key=key) for key, path in clips.items()]
    outcomes = runs.wait(stack.deployment, uploads, timeout=timeout)
    return {u.key: o for u, o in zip(uploads, outcomes, strict=True)}


def assert_outcome(stack, result: runs.Outcome, names: list[str], unknown: int = 0) -> None:
    assert result.status == "SUCCEEDED", result
    expected = [ROW[n] for n in sorted(names)]
    assert result.students == expected, result
    assert result.unknown_faces == unknown, result
    text, rows = read_csv(stack, result.output_key)
    assert text.splitlines()[0] == "name,major,year"
    assert rows == expected


# --- the cases ------------------------------------------------------------------------------------

PASSER_BY_WITH_OBAMA = range(4, 7)  # frames showing the passer-by: around sample 5 only
PASSER_BY_ALONE = range(7, 10)  # around sample 8 only

CASES: dict[str, tuple[Callable[[], Callable[[int], np.ndarray]], tuple[int, int], list[str], int]] = {
    # name: (frame source, frame size, expected students, expected unknown_faces)
    "two_side_by_side": (lambda: still("kit_with_rose"), SIZE, ["kit_harington", "rose_leslie"], 0),
    "two_presidents": (lambda: still("two_people"), SIZE, ["biden", "obama"], 0),
    "late_face": (lambda: late("obama1"), SIZE, ["obama"], 0),
    "mirrored": (lambda: still("johnsnow_test1", effect=mirror), SIZE, ["kit_harington"], 0),
    "dark": (lambda: still("alex_lacamoire1", effect=darker), SIZE, ["alex_lacamoire"], 0),
    "low_res": (lambda: still("obama1", size=(426, 240)), (426, 240), ["obama"], 0),
    "third_unknown": (lambda: still("obama_and_biden"), SIZE, ["biden", "obama"], 1),
    "empty_room": (lambda: lambda i: empty_room(), SIZE, [], 0),
    # Sample 2 of 7 (frame 5, in the first batch) is the only one to see the passer-by: the first two
    # frames disagree, the search goes on while the passer-by is undecided, and one vote is a chance.
    "passer_by_with_obama": (
        lambda: passer_by(still("obama1"), PASSER_BY_WITH_OBAMA),
        SIZE,
        ["obama"],
        0,
    ),
    # Alone in an empty room, seen in only one of the seven samples (frame 8): no frames agree, all
    # seven are used, and one vote of seven is a chance.
    "passer_by_alone": (lambda: passer_by(None, PASSER_BY_ALONE), SIZE, [], 0),
}


@pytest.fixture(scope="module")
def outcomes(stack, enrolled, tmp_path_factory) -> dict[str, runs.Outcome]:
    """Every case's clip, uploaded together and run concurrently."""
    folder = tmp_path_factory.mktemp("hard")
    clips = {}
    for case, (source, size, _, _) in CASES.items():
        path = write_clip(folder / f"{case}.mp4", source())
        capture = cv2.VideoCapture(str(path))
        assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == size
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES
        capture.release()
        clips[f"hard/{case}.mp4"] = path
    results = run_clips(stack, clips)
    return {key.removeprefix("hard/").removesuffix(".mp4"): result for key, result in results.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_hard_clip(stack, outcomes, case):
    _, _, names, unknown = CASES[case]
    result = outcomes[case]
    assert result.output_key == f"hard/{case}.csv"
    assert_outcome(stack, result, names, unknown)


def test_each_passer_by_is_in_exactly_one_sampled_frame(stack):
    """The passer-by cases hold for the stack's FRAME_SAMPLES (7 by default): one sample sees them."""
    (extract,) = (f for f in stack.template.functions().values() if f.logical_id == "ExtractFramesFunction")
    frames = function_path.import_module(extract, "frames")  # as ExtractFrames imports it, neighbours too
    sampled = frames.sample_indices(FRAMES, int(extract.environment["FRAME_SAMPLES"]))
    assert sampled == [1, 5, 8, 12, 15, 18, 22]
    for shown in (PASSER_BY_WITH_OBAMA, PASSER_BY_ALONE):
        assert len([i for i in sampled if i in shown]) == 1


def test_only_clips_the_first_two_frames_do_not_settle_extract_more(stack, outcomes):
    """The first batch is the two earliest samples; a second batch only when those disagree or show
    nobody (the late face: a title card in both), and then recognition carries on from its tally."""
    visited = {
        case: [s.name for s in history.history(stack.deployment, result.arn)[0]]
        for case, result in outcomes.items()
    }
    for case in ("late_face", "empty_room", "passer_by_with_obama", "passer_by_alone"):
        assert visited[case].count("ExtractMoreFrames") == 1, (case, visited[case])
        assert visited[case].count("RecognizeFaces") == 2, case
    for case in ("two_side_by_side", "mirrored", "dark", "low_res"):
        assert "ExtractMoreFrames" not in visited[case], (case, visited[case])
        assert visited[case].count("RecognizeFaces") == 1, case


def test_no_face_gives_a_header_only_csv(stack, outcomes):
    result = outcomes["empty_room"]
    assert result.status == "SUCCEEDED"
    assert read_csv(stack, result.output_key)[0] == "name,major,year\n"
    assert result.unknown_faces == 0


def test_new_known_faces_are_used_without_a_redeploy(stack, enrolled, tmp_path):
    """recognize_faces caches the known faces by ETag: a re-seeded file is read on the next run."""
    clip = write_clip(tmp_path / "kit.mp4", still("johnsnow_test1"))
    try:
        seeding.seed_known_faces(stack.deployment)  # the course's set: kit_harington is nobody
        before = run_clips(stack, {"hard/etag_before_a.mp4": clip, "hard/etag_before_b.mp4": clip})
        for result in before.values():
            assert result.status == "SUCCEEDED", result
            assert result.students == []
            assert result.unknown_faces == 1
    finally:
        seeding.seed_known_faces(stack.deployment, enrolled)
    after = run_clips(stack, {"hard/etag_after_a.mp4": clip, "hard/etag_after_b.mp4": clip})
    for result in after.values():
        assert_outcome(stack, result, ["kit_harington"])
