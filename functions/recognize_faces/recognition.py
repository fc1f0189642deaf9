"""Match face encodings to known people and aggregate the matches over frames."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from classroom_common.known_faces import KnownFaces
from classroom_common.models import Match, Recognition


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
    return [
        r if r is not None else FaceMatch(None, float(per_person[i].min()))
        for i, r in enumerate(result)
    ]


@dataclass
class Tally:
    """Votes per person over the sampled frames, with an early-stop test."""

    stable_after: int = 2  # consecutive frames that must agree before stopping
    names: dict[str, list[float]] = field(default_factory=dict)
    frames: int = 0
    faces: int = 0
    unknown_max: int = 0
    _last: list[tuple] = field(default_factory=list)

    def add(self, matches: list[FaceMatch]) -> None:
        self.frames += 1
        self.faces += len(matches)
        unknown = sum(1 for m in matches if m.name is None)
        self.unknown_max = max(self.unknown_max, unknown)
        for m in matches:
            if m.name is not None:
                self.names.setdefault(m.name, []).append(m.distance)
        self._last.append((frozenset(m.name for m in matches if m.name), unknown, bool(matches)))

    @property
    def stable(self) -> bool:
        """The last frames saw faces and agree on who is there."""
        recent = self._last[-self.stable_after :]
        return len(recent) == self.stable_after and recent[0][2] and len(set(recent)) == 1

    def votes_needed(self) -> int:
        """A person seen in fewer frames than this was a chance match."""
        if self.frames < 3:
            return 1
        return max(2, math.ceil(0.25 * self.frames))

    def result(self) -> Recognition:
        needed = self.votes_needed()
        students = [
            Match(name=name, distance=round(min(d), 4), frames=len(d))
            for name, d in sorted(self.names.items())
            if len(d) >= needed
        ]
        return Recognition(
            students=students, unknown_faces=self.unknown_max, frames_used=self.frames, faces=self.faces
        )
