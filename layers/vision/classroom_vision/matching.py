"""Match face encodings to the known people by nearest distance under a threshold, one person to one
face (or track) at a time, and nobody when two people are about as near."""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from classroom_vision.known_faces import KnownFaces

# A face whose nearest free person is not clearly nearer than the next (its distance at least this
# fraction of the next one's) is nobody's: through a dim or blocky camera a face can drift to within a
# few hundredths of a look-alike (0.579 to one, 0.593 to its own person), and a wrong name is worse
# than a missed one. Measured on the held-out real-camera classrooms (docs/benchmarks.md).
AMBIGUOUS = 0.96


@dataclass(frozen=True)
class FaceMatch:
    name: str | None  # None: matches nobody under the threshold
    distance: float  # to the nearest known encoding


def to_people(encodings: Iterable[np.ndarray], known: KnownFaces) -> np.ndarray:
    """Faces x people (``known.people``): each face's distance to each person's nearest encoding."""
    encodings = np.array(list(encodings))
    distances = np.linalg.norm(known.encodings[None, :, :] - encodings[:, None, :], axis=2)
    return np.stack([distances[:, known.names == p].min(axis=1) for p in known.people], axis=1)


def assign(
    distances: np.ndarray,
    people: list[str],
    threshold: float,
    clash: Callable[[int, int], bool] = lambda a, b: True,
) -> list[FaceMatch]:
    """Rows (faces, or tracks) to people, the nearest pairs first: a person goes to one of the rows
    that ``clash`` (two faces of one frame are two people), so a row whose nearest person is taken
    takes its next-nearest free one; a row with no free person under ``threshold``, or with a second
    free person about as near (``AMBIGUOUS``), is nobody (its distance: the nearest)."""
    holders: dict[int, list[int]] = {}

    def free(row: int, person: int) -> bool:
        return not any(clash(row, other) for other in holders.get(person, ()))

    result: list[FaceMatch | None] = [None] * len(distances)
    for row, person in sorted(np.ndindex(distances.shape), key=lambda ij: distances[ij]):
        distance = float(distances[row, person])
        if result[row] is not None or distance >= threshold or not free(row, person):
            continue
        rivals = [d for p, d in enumerate(distances[row]) if p != person and free(row, p)]
        if rivals and distance >= AMBIGUOUS * min(rivals):
            result[row] = FaceMatch(None, distance)
            continue
        result[row] = FaceMatch(people[person], distance)
        holders.setdefault(person, []).append(row)
    return [r if r is not None else FaceMatch(None, float(distances[i].min())) for i, r in enumerate(result)]


def match(encodings: Iterable[np.ndarray], known: KnownFaces, threshold: float) -> list[FaceMatch]:
    """Nearest known person per face of one frame (``assign``); a face further than ``threshold`` from
    everyone, or about as near two people, is unknown."""
    encodings = list(encodings)
    if not encodings:
        return []
    if len(known.names) == 0:
        return [FaceMatch(None, math.inf) for _ in encodings]
    return assign(to_people(encodings, known), list(known.people), threshold)
