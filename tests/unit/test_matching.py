"""Nearest known person under the threshold, one name per face in a frame (synthetic encodings)."""

import math

import numpy as np
import pytest

from classroom_vision.known_faces import ENCODING_SIZE, KnownFaces
from classroom_vision.matching import AMBIGUOUS, FaceMatch, assign, match

THRESHOLD = 0.6


def axis(i: int, length: float = 1.0) -> np.ndarray:
    v = np.zeros(ENCODING_SIZE)
    v[i] = length
    return v


def near(base: np.ndarray, distance: float, direction: int = 100) -> np.ndarray:
    """A point exactly ``distance`` from ``base``, off along an axis no person uses."""
    return base + axis(direction, distance)


# alice and bob are ~1.41 apart; carol has two encodings (two photos of her)
ALICE, BOB, CAROL_1, CAROL_2 = axis(0), axis(1), axis(2), axis(3)
KNOWN = KnownFaces.from_pairs([("alice", ALICE), ("bob", BOB), ("carol", CAROL_1), ("carol", CAROL_2)])


def test_nearest_person_under_the_threshold():
    (m,) = match([near(ALICE, 0.3)], KNOWN, THRESHOLD)
    assert m.name == "alice"
    assert m.distance == pytest.approx(0.3)


def test_a_face_far_from_everyone_is_unknown_with_its_nearest_distance():
    face = near(ALICE, 0.8)
    (m,) = match([face], KNOWN, THRESHOLD)
    assert m.name is None
    assert m.distance == pytest.approx(0.8)


def test_the_threshold_itself_is_not_a_match():
    # the comparison is strict, as face_recognition's ``distance <= tolerance`` is not:
    assert match([near(BOB, THRESHOLD)], KNOWN, THRESHOLD)[0].name is None
    assert match([near(BOB, THRESHOLD - 1e-9)], KNOWN, THRESHOLD)[0].name == "bob"


def test_closest_of_several_people():
    face = (ALICE * 0.6 + BOB * 0.4) + axis(100, 0.05)  # between the two, nearer alice
    (m,) = match([face], KNOWN, 1.0)
    assert m.name == "alice"
    assert m.distance == pytest.approx(np.linalg.norm(face - ALICE))


def test_a_person_with_several_encodings_matches_on_the_nearest_one():
    (m,) = match([near(CAROL_2, 0.2)], KNOWN, THRESHOLD)
    assert m == FaceMatch("carol", pytest.approx(0.2))
    (m,) = match([near(CAROL_1, 0.25)], KNOWN, THRESHOLD)
    assert m == FaceMatch("carol", pytest.approx(0.25))


def test_two_faces_in_a_frame_never_get_the_same_name():
    """Both faces are nearest alice; the closer one gets her, the other its next-nearest person."""
    eve = ALICE + axis(4, 0.5)  # alice's look-alike, 0.5 from her
    known = KnownFaces.from_pairs([("alice", ALICE), ("eve", eve), ("bob", BOB)])
    closer = ALICE + axis(100, 0.1)  # 0.1 from alice, 0.51 from eve
    second = ALICE + axis(4, 0.2) + axis(100, 0.1)  # 0.22 from alice, 0.32 from eve
    assert np.linalg.norm(second - ALICE) < np.linalg.norm(second - eve)
    m = match([second, closer], known, THRESHOLD)
    assert [x.name for x in m] == ["eve", "alice"]  # results follow the order of the faces
    assert m[0].distance == pytest.approx(np.linalg.norm(second - eve))
    assert m[1].distance == pytest.approx(0.1)


def test_a_second_face_whose_next_person_is_too_far_stays_unknown():
    eve = ALICE + axis(4, 0.5)
    known = KnownFaces.from_pairs([("alice", ALICE), ("eve", eve)])
    closer = ALICE + axis(100, 0.1)
    other = ALICE + axis(4, -0.4)  # 0.4 from alice, 0.9 from eve
    m = match([other, closer], known, THRESHOLD)
    assert [x.name for x in m] == [None, "alice"]
    assert m[0].distance == pytest.approx(0.4)  # the distance reported is still to its nearest person


def test_a_face_about_as_near_two_people_is_nobodys():
    """A blocky face can drift to a look-alike: when two people are within ``AMBIGUOUS`` of each
    other's distance the face is unknown (its distance: the nearest), not a coin toss."""
    eve = ALICE + axis(4, 0.5)
    known = KnownFaces.from_pairs([("alice", ALICE), ("eve", eve), ("bob", BOB)])
    between = ALICE + axis(4, 0.24) + axis(100, 0.45)  # 0.510 from alice, 0.518 from eve
    (m,) = match([between], known, THRESHOLD)
    assert m == FaceMatch(None, pytest.approx(np.linalg.norm(between - ALICE)))
    clearly = ALICE + axis(4, 0.2) + axis(100, 0.45)  # 0.492 from alice, 0.540 from eve: 0.91 of it
    assert match([clearly], known, THRESHOLD)[0].name == "alice"


def test_rows_that_do_not_clash_may_share_a_person():
    """Tracks never seen in one frame (one student split in two) both keep their name; tracks seen
    together are two people."""
    distances = np.array([[0.3, 0.9], [0.4, 0.9], [0.45, 0.9]])
    apart = assign(distances, ["alice", "bob"], THRESHOLD, clash=lambda a, b: {a, b} == {0, 1})
    assert [m.name for m in apart] == ["alice", None, "alice"]
    assert apart[1].distance == pytest.approx(0.4)


def test_several_encodings_of_one_person_still_give_one_name_per_frame():
    faces = [near(CAROL_1, 0.1), near(CAROL_2, 0.15)]
    m = match(faces, KNOWN, THRESHOLD)
    assert [x.name for x in m] == ["carol", None]  # the closer face (to either photo) is carol
    assert m[1].distance == pytest.approx(0.15)


@pytest.mark.parametrize("seed", range(20))
def test_random_frames_assign_each_name_at_most_once_and_only_under_the_threshold(seed):
    rng = np.random.default_rng(seed)
    people = rng.normal(0, 0.15, (6, ENCODING_SIZE))
    known = KnownFaces.from_pairs([(f"p{i % 4}", people[i]) for i in range(6)])  # p0, p1 have two each
    faces = [people[rng.integers(6)] + rng.normal(0, 0.04, ENCODING_SIZE) for _ in range(5)]
    result = match(faces, known, THRESHOLD)
    assert len(result) == len(faces)
    named = [m.name for m in result if m.name is not None]
    assert len(named) == len(set(named))
    for face, m in zip(faces, result, strict=True):
        distances = {
            name: min(
                np.linalg.norm(face - e)
                for n, e in zip(known.names, known.encodings, strict=True)
                if n == name
            )
            for name in known.people
        }
        assert m.distance == pytest.approx(distances[m.name] if m.name else min(distances.values()))
        if m.name is not None:
            assert m.distance < THRESHOLD
        else:  # unknown: every person under the threshold went to a closer face, or two were as near
            free = sorted(distances[p] for p in known.people if p not in named)
            assert not free or free[0] >= THRESHOLD or free[0] >= AMBIGUOUS * free[1]


def test_no_faces_no_matches():
    assert match([], KNOWN, THRESHOLD) == []
    assert match(iter([]), KNOWN, THRESHOLD) == []


def test_nobody_known_makes_every_face_unknown():
    empty = KnownFaces(np.array([], dtype=str), np.zeros((0, ENCODING_SIZE)))
    result = match([axis(0), axis(1)], empty, THRESHOLD)
    assert [m.name for m in result] == [None, None]
    assert all(math.isinf(m.distance) for m in result)


def test_accepts_a_generator_of_encodings():
    result = match((e for e in [near(BOB, 0.1), near(ALICE, 0.1)]), KNOWN, THRESHOLD)
    assert [m.name for m in result] == ["bob", "alice"]
