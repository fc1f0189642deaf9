"""Faces followed across frames (``tracks.py``): who is who from where they sit, named by the mean of
their encodings. Encodings here are the course's known ones with noise, the boxes a class's seats."""

import numpy as np
import pytest

from classroom_vision.boxes import Box
from classroom_vision.matching import match
from tests.unit.conftest import course_known_faces, import_function_module

tracks = import_function_module("recognize_faces", "tracks")
KNOWN = course_known_faces()
THRESHOLD = 0.6


def person(name: str) -> np.ndarray:
    return KNOWN.encodings[list(KNOWN.names).index(name)]


def noisy(encoding: np.ndarray, distance: float, rng: np.random.Generator) -> np.ndarray:
    """``encoding`` moved ``distance`` away in a random direction: a dim or blocky view of the face."""
    step = rng.normal(size=encoding.shape)
    return encoding + step / np.linalg.norm(step) * distance


def seat(column: int, row: int, shift: tuple[int, int] = (0, 0), size: int = 60) -> Box:
    left, top = 100 + 200 * column + shift[0], 100 + 150 * row + shift[1]
    return Box(top, left + size - 1, top + size - 1, left)


def frame(followed, when: float, faces: list[tuple[Box, np.ndarray]]) -> None:
    boxes, encodings = [b for b, _ in faces], [e for _, e in faces]
    followed.add(when, boxes, encodings, match(encodings, KNOWN, THRESHOLD))


STUDENTS = ["president_trump", "mr_bean", "floki"]


def test_each_seat_is_one_track_through_camera_shake():
    rng = np.random.default_rng(1)
    followed = tracks.Tracks()
    for i, shift in enumerate([(0, 0), (45, -30), (-40, 25), (10, 50)]):  # a hand-held phone
        frame(followed, i, [(seat(c, 0, shift), noisy(person(n), 0.3, rng)) for c, n in enumerate(STUDENTS)])
    assert len(followed.tracks) == 3
    assert [len(t.seconds) for t in followed.tracks] == [4, 4, 4]
    assert [found.name for found in followed.named(KNOWN, THRESHOLD)] == STUDENTS


def test_a_student_the_frames_name_rarely_is_named_by_the_mean_of_their_faces():
    """Through this camera the student looks a little unlike their photo (the same offset in every
    frame) and each frame adds its own noise: each face alone is over the threshold most of the time,
    their mean is clearly the student."""
    rng = np.random.default_rng(2)
    followed = tracks.Tracks()
    seen_so = noisy(person("floki"), 0.45, rng)
    faces = [noisy(seen_so, 0.42, rng) for _ in range(7)]
    for i, encoding in enumerate(faces):
        frame(followed, i, [(seat(0, 0), encoding)])
    own = [found.name for found in match(faces, KNOWN, THRESHOLD)]
    assert own.count("floki") <= 2  # what voting frame by frame sees: a chance match at most
    (found,) = followed.named(KNOWN, THRESHOLD)
    assert found.name == "floki" and found.distance < THRESHOLD
    (candidate,) = followed.candidates(followed.named(KNOWN, THRESHOLD))
    assert (candidate.name, candidate.frames) == ("floki", 7)
    assert followed.unknown_faces(followed.named(KNOWN, THRESHOLD)) == 0


def test_a_stranger_is_never_named_and_counts_as_unknown():
    rng = np.random.default_rng(3)
    stranger = noisy(person("floki"), 0.9, rng)  # far from everyone known
    followed = tracks.Tracks()
    for i in range(3):
        frame(
            followed,
            i,
            [(seat(0, 0), noisy(stranger, 0.2, rng)), (seat(1, 0), noisy(person("mr_bean"), 0.3, rng))],
        )
    named = followed.named(KNOWN, THRESHOLD)
    assert [found.name for found in named] == [None, "mr_bean"]
    assert followed.unknown_faces(named) == 1


def test_one_face_is_never_a_tracks_name():
    rng = np.random.default_rng(4)
    followed = tracks.Tracks()
    frame(followed, 0, [(seat(0, 0), noisy(person("floki"), 0.2, rng))])
    assert [found.name for found in followed.named(KNOWN, THRESHOLD)] == [None]


def test_students_who_swap_seats_are_split_not_mixed():
    """Between two samples of a lecture two students swap seats: each face looks like the other track's
    person, so it starts a track of its own, and every track names whoever it is."""
    rng = np.random.default_rng(5)
    followed = tracks.Tracks()
    a, b = person("president_trump"), person("mr_bean")
    for i in range(2):
        frame(followed, i, [(seat(0, 0), noisy(a, 0.25, rng)), (seat(1, 0), noisy(b, 0.25, rng))])
    for i in range(2, 4):
        frame(followed, i, [(seat(0, 0), noisy(b, 0.25, rng)), (seat(1, 0), noisy(a, 0.25, rng))])
    assert len(followed.tracks) == 4
    assert all(len(t.seconds) == 2 for t in followed.tracks)
    named = [found.name for found in followed.named(KNOWN, THRESHOLD)]
    assert named == ["president_trump", "mr_bean", "mr_bean", "president_trump"]


def test_two_faces_of_one_frame_are_two_people():
    """Twins, or a poster of a student behind them: one name, the closer face."""
    rng = np.random.default_rng(8)
    followed = tracks.Tracks()
    for i in range(2):
        frame(
            followed,
            i,
            [(seat(0, 0), noisy(person("floki"), 0.2, rng)), (seat(2, 0), noisy(person("floki"), 0.45, rng))],
        )
    assert [found.name for found in followed.named(KNOWN, THRESHOLD)] == ["floki", None]


def test_a_track_about_as_near_two_people_is_nobodys():
    """A stranger whose mean falls between two students (a look-alike of both) names neither."""
    rng = np.random.default_rng(9)
    between = (person("floki") + person("travis_ragnar")) / 2
    followed = tracks.Tracks()
    for i in range(3):
        frame(followed, i, [(seat(0, 0), noisy(between, 0.02, rng))])
    distances = [np.linalg.norm(followed.tracks[0].mean - person(n)) for n in ("floki", "travis_ragnar")]
    assert max(distances) < THRESHOLD and min(distances) > 0.96 * max(distances)
    (found,) = followed.named(KNOWN, THRESHOLD)
    assert found.name is None and found.distance == pytest.approx(min(distances))


@pytest.mark.parametrize("moved", [(0, 70), (130, 0)])
def test_a_face_that_jumps_further_than_a_face_width_starts_a_new_track(moved):
    """Two faces alike enough, but one where the other was not: no shake explains a single face's jump
    when the rest of the room stayed put."""
    rng = np.random.default_rng(6)
    followed = tracks.Tracks()
    still = [(seat(c, 1), noisy(person(n), 0.25, rng)) for c, n in enumerate(STUDENTS)]
    frame(followed, 0, [*still, (seat(0, 0), noisy(person("vin_diesel"), 0.2, rng))])
    again = [(box, noisy(person(n), 0.25, rng)) for (box, _), n in zip(still, STUDENTS, strict=True)]
    frame(followed, 1, [*again, (seat(0, 0, moved), noisy(person("vin_diesel"), 0.2, rng))])
    assert [len(t.seconds) for t in followed.tracks] == [2, 2, 2, 1, 1]


def test_the_tracks_survive_the_carry_between_batches():
    rng = np.random.default_rng(7)
    followed = tracks.Tracks()
    frame(followed, 0, [(seat(0, 0), noisy(person("floki"), 0.3, rng))])
    carried = tracks.Tracks.model_validate_json(followed.model_dump_json())
    frame(carried, 1, [(seat(0, 0, (5, 5)), noisy(person("floki"), 0.3, rng))])
    assert [len(t.seconds) for t in carried.tracks] == [2]
