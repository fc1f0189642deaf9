"""`classroom enroll`: known faces from a folder of labeled photos, checked against the test photos."""

import shutil

import cv2
import numpy as np
import pytest

from classroom_vision.faces import find_faces
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import match
from devstack import cli, enroll, seeding
from tests.conftest import FACES

PEOPLE = ["alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie"]

# Who each test photo shows (None: a face that is nobody enrolled).
EXPECTED = {
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],
    "kit_with_rose.jpg": ["kit_harington", "rose_leslie"],
    "obama1.jpg": ["obama"],
    "obama_and_biden.jpg": ["biden", "obama", None],
    "two_people.jpg": ["biden", "obama"],
}


@pytest.fixture(scope="module")
def enrolled() -> enroll.Enrollment:
    return enroll.enroll(FACES / "train")


def names(matches) -> list:
    return sorted((m.name for m in matches), key=lambda n: (n is None, n or ""))


def test_every_training_photo_gives_one_encoding(enrolled):
    known = enrolled.known
    assert known.people == PEOPLE
    photos = sorted(p for p in (FACES / "train").glob("*/*") if p.is_file())
    assert sorted(enrolled.used) == photos
    assert len(known.names) == len(photos) == 9
    assert enrolled.skipped == [] and enrolled.empty == []
    assert enrolled.warnings() == []


@pytest.mark.parametrize("photo", sorted(EXPECTED))
def test_enrolled_faces_recognize_the_test_photos(enrolled, photo):
    faces = find_faces(decode_rgb((FACES / "test" / photo).read_bytes()))
    matches = match((f.encoding for f in faces), enrolled.known, 0.6)
    assert names(matches) == EXPECTED[photo], [(m.name, round(m.distance, 3)) for m in matches]
    for m in matches:
        assert (m.distance < 0.5) if m.name else (m.distance > 0.65)


@pytest.fixture
def messy_train(tmp_path):
    """A copy of train/ with a blank photo, a landscape, a two-face photo, a non-image and a loose file."""
    root = tmp_path / "train"
    shutil.copytree(FACES / "train", root)
    cv2.imwrite(str(root / "biden" / "blank.jpg"), np.full((480, 640, 3), 255, np.uint8))
    landscape = np.zeros((480, 640, 3), np.uint8)
    landscape[:240] = (235, 206, 135)  # sky
    landscape[240:] = (34, 139, 34)  # grass
    cv2.circle(landscape, (520, 90), 50, (0, 215, 255), -1)  # sun
    cv2.imwrite(str(root / "obama" / "landscape.png"), landscape)
    shutil.copy(FACES / "test" / "two_people.jpg", root / "obama" / "two_people.jpg")
    (root / "rose_leslie" / "notes.txt").write_text("not a photo")
    (root / "group.jpg").write_bytes((FACES / "test" / "obama1.jpg").read_bytes())
    (root / "nobody").mkdir()
    cv2.imwrite(str(root / "nobody" / "wall.jpg"), np.full((300, 300, 3), 128, np.uint8))
    return root


def test_photos_without_exactly_one_face_are_skipped(messy_train):
    result = enroll.enroll(messy_train)
    skipped = {p.relative_to(messy_train).as_posix(): reason for p, reason in result.skipped}
    assert skipped == {
        "biden/blank.jpg": "no face found",
        "obama/landscape.png": "no face found",
        "obama/two_people.jpg": "2 faces found, expected one",
        "rose_leslie/notes.txt": "not a decodable image",
        "group.jpg": "not in a person's folder",
        "nobody/wall.jpg": "no face found",
    }
    assert result.empty == ["nobody"]
    assert result.known.people == PEOPLE
    assert len(result.used) == 9
    summary = result.summary(messy_train)
    assert summary.splitlines()[0] == "enrolled 5 people, 9 encodings (9 photos used, 6 skipped)"
    assert "  skipped obama/two_people.jpg: 2 faces found, expected one" in summary
    assert "  skipped biden/blank.jpg: no face found" in summary
    assert "  no usable photo of nobody" in summary


def test_cli_writes_an_npz_that_seeding_reads(messy_train, tmp_path, capsys):
    out = tmp_path / "known.npz"
    assert cli.main(["enroll", str(messy_train), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "skipped obama/two_people.jpg: 2 faces found, expected one" in printed
    assert "  kit_harington: 2 encodings" in printed
    known = seeding.read_known_faces(out)  # what `classroom seed --encodings` reads
    assert known.people == PEOPLE
    assert len(known.names) == 9
    with np.load(out, allow_pickle=False) as npz:
        assert set(npz.files) == {"names", "encodings"}


def test_merge_adds_to_an_existing_file(tmp_path, capsys):
    """Merging into the course's pickle keeps its 11 encodings and adds the new people's."""
    one = tmp_path / "one"
    shutil.copytree(FACES / "train" / "rose_leslie", one / "rose_leslie")
    out = tmp_path / "known.npz"
    assert cli.main(["enroll", str(one), "--out", str(out), "--merge", str(seeding.SAMPLE_ENCODINGS)]) == 0
    course = seeding.read_known_faces(seeding.SAMPLE_ENCODINGS)
    merged = seeding.read_known_faces(out)
    assert len(merged.names) == len(course.names) + 2
    assert merged.people == sorted([*course.people, "rose_leslie"])
    assert "11 merged" in capsys.readouterr().out

    # Merging into itself (same --out) adds the new person and does not duplicate photos already in.
    more = tmp_path / "more"
    shutil.copytree(FACES / "train" / "rose_leslie", more / "rose_leslie")
    shutil.copytree(FACES / "train" / "biden", more / "biden")
    assert cli.main(["enroll", str(more), "--out", str(out), "--merge", str(out), "--quiet"]) == 0
    again = seeding.read_known_faces(out)
    assert len(again.names) == len(merged.names) + 2
    assert "biden" in again.people
    assert "already enrolled" in capsys.readouterr().out


def test_nothing_to_enroll_writes_nothing(tmp_path):
    (tmp_path / "photos" / "someone").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "photos" / "someone" / "blank.jpg"), np.zeros((100, 100, 3), np.uint8))
    out = tmp_path / "known.npz"
    assert cli.main(["enroll", str(tmp_path / "photos"), "--out", str(out), "--quiet"]) == 1
    assert not out.exists()


def test_missing_folder_and_seed_without_target(tmp_path):
    assert cli.main(["enroll", str(tmp_path / "absent"), "--out", str(tmp_path / "k.npz")]) == 2
    with pytest.raises(SystemExit):
        cli.main(["enroll", str(FACES / "train"), "--out", str(tmp_path / "k.npz"), "--seed"])


def test_known_faces_round_trip(enrolled):
    known = enrolled.known
    again = KnownFaces.from_bytes(known.to_bytes())
    assert again.names.tolist() == known.names.tolist()
    assert np.array_equal(again.encodings, known.encodings)
