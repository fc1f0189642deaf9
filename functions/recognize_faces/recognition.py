"""Recognize the people in a clip's sampled frames: visit, detect, encode, match, and tally until stable."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from classroom_common.faces import Detector, Face, decode_rgb, encode, largest
from classroom_common.known_faces import KnownFaces
from classroom_common.matching import FaceMatch, match
from classroom_common.models import Match, Recognition

MAX_FACES_PER_FRAME = 40  # default bound on faces encoded per frame (about 0.1 s each)


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


def spread_order(count: int) -> list[int]:
    """Visit frames middle first, then ever finer halves, so any prefix covers the clip."""
    order: list[int] = []
    step = count
    while step >= 1 and len(order) < count:
        for i in range(step // 2, count, max(step, 1)):
            if i not in order:
                order.append(i)
        step //= 2
    return order + [i for i in range(count) if i not in order]


def recognize_frames(
    count: int, load: Callable[[int], bytes], known: KnownFaces, threshold: float, max_faces: int
) -> tuple[Recognition, tuple[np.ndarray, list[Face], list[FaceMatch]] | None]:
    """The people in ``count`` JPEG frames (``load(i)`` reads frame i), and the frame that shows most of them.

    Frames are visited in ``spread_order`` and only until the answer is stable.
    """
    tally, detect, skipped = Tally(), Detector(), 0
    best, best_named = None, -1
    for i in spread_order(count):
        rgb = decode_rgb(load(i))
        boxes = detect(rgb)
        faces = encode(rgb, largest(boxes, max_faces))
        skipped += len(boxes) - len(faces)
        matches = match((f.encoding for f in faces), known, threshold)
        tally.add(matches)
        named = sum(1 for m in matches if m.name)
        if faces and named > best_named:
            best, best_named = (rgb, faces, matches), named
        if tally.stable:
            break
    result = tally.result()
    result.faces_not_encoded = skipped
    return result, best
