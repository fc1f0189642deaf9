"""Match face encodings to the known people by nearest distance under a threshold."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from classroom_vision.known_faces import KnownFaces


@dataclass(frozen=True)
class FaceMatch:
    name: str | None  # None: matches nobody under the threshold
    distance: float  # to the nearest known encoding


def match(encodings: Iterable[np.ndarray], known: KnownFaces, threshold: float) -> list[FaceMatch]:
    """Nearest known encoding per face; a face further than ``threshold`` from everyone is unknown.

    Two faces in one frame are two people, so a name goes to the closer face only;
    the other takes its next-nearest person (or stays unknown).
    """
    encodings = list(encodings)
    if not encodings:
        return []
    if len(known.names) == 0:
        return [FaceMatch(None, math.inf) for _ in encodings]
    people = known.people
    distances = np.linalg.norm(known.encodings[None, :, :] - np.array(encodings)[:, None, :], axis=2)
    per_person = np.stack([distances[:, known.names == p].min(axis=1) for p in people], axis=1)
    result: list[FaceMatch | None] = [None] * len(encodings)
    taken: set[int] = set()
    for face, person in sorted(np.ndindex(per_person.shape), key=lambda ij: per_person[ij]):
        if result[face] is not None or person in taken:
            continue
        distance = float(per_person[face, person])
        if distance < threshold:
            result[face] = FaceMatch(people[person], distance)
            taken.add(person)
    return [r if r is not None else FaceMatch(None, float(per_person[i].min())) for i, r in enumerate(result)]
