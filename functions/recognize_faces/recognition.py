"""Recognize the people in a clip's sampled frames: detect, encode, match, and tally until stable."""

from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, Field

from classroom_common.models import AGREEING_FRAMES, Match, Recognition
from classroom_vision.boxes import largest
from classroom_vision.detection import detect
from classroom_vision.encoding import Face, encodable, encode
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import FaceMatch, match

MAX_FACES_PER_FRAME = 120  # default bound on faces encoded per frame (about 10 ms each): a class of 60 fits


def votes_needed(frames: int) -> int:
    """A person must be seen in two of the ``frames`` looked at (one, if only one was): a name in a
    single frame is a chance match, while a student hidden by a neighbour or looking down in the other
    frames still counts once seen clearly twice. A clip's tally and a lecture's merge both vote so."""
    return min(2, max(1, frames))


class Seen(BaseModel):
    """What one frame showed: the people named, the unknown faces, whether it had faces at all."""

    names: list[str]
    unknown: int
    faces: bool


class Tally(BaseModel):
    """Votes per person over the frames looked at, with the early-stop test.

    It is plain data, so a run can carry it from one batch of frames to the next.
    """

    names: dict[str, list[float]] = Field(default_factory=dict)  # person -> distance in each frame
    frames: int = 0
    faces: int = 0
    unknown_max: int = 0
    not_encoded: int = 0
    best_named: int = -1  # people named in the annotated frame so far
    recent: list[Seen] = Field(default_factory=list)

    def add(self, matches: list[FaceMatch]) -> None:
        self.frames += 1
        self.faces += len(matches)
        unknown = sum(1 for m in matches if m.name is None)
        self.unknown_max = max(self.unknown_max, unknown)
        for m in matches:
            if m.name is not None:
                self.names.setdefault(m.name, []).append(m.distance)
        seen = Seen(names=sorted({m.name for m in matches if m.name}), unknown=unknown, faces=bool(matches))
        self.recent = [*self.recent, seen][-AGREEING_FRAMES:]

    @property
    def stable(self) -> bool:
        """The last frames saw faces and agree on who is there, and nobody seen so far is undecided:
        a face named in one frame only may be a chance match, or a student the others hid, so the
        search goes on while the faces in the room are still changing."""
        recent = self.recent
        agree = len(recent) == AGREEING_FRAMES and recent[0].faces and all(s == recent[0] for s in recent)
        return agree and all(len(d) >= self.votes_needed() for d in self.names.values())

    def votes_needed(self) -> int:
        return votes_needed(self.frames)

    def result(self, needed: int | None = None) -> Recognition:
        """Who counts (``needed`` votes, by default ``votes_needed()``), with the counts of the faces."""
        needed = self.votes_needed() if needed is None else needed
        students = [
            Match(name=name, distance=round(min(d), 4), frames=len(d))
            for name, d in sorted(self.names.items())
            if len(d) >= needed
        ]
        return Recognition(
            students=students,
            unknown_faces=self.unknown_max,
            frames_used=self.frames,
            faces=self.faces,
            faces_not_encoded=self.not_encoded,
        )


Best = tuple[np.ndarray, list[Face], list[FaceMatch]]


def recognize_frames(
    count: int,
    load: Callable[[int], bytes],
    known: KnownFaces,
    threshold: float,
    max_faces: int,
    tally: Tally,
    until_stable: bool = True,
    on_frame: Callable[[int, list[FaceMatch]], None] | None = None,
) -> Best | None:
    """Add frames ``0..count-1`` (JPEGs, ``load(i)`` reads frame i) to ``tally``, in that order, until
    the answer is stable (or every frame, for a lecture's attendance); ``on_frame(i, matches)`` is told
    each frame's matches. Returns the frame that names more people than any before it, if one does."""
    best = None
    for i in range(count):
        if until_stable and tally.stable:
            break
        rgb = decode_rgb(load(i))
        boxes = detect(rgb)
        faces = encode(rgb, largest(encodable(boxes), max_faces))
        tally.not_encoded += len(boxes) - len(faces)
        matches = match((f.encoding for f in faces), known, threshold)
        tally.add(matches)
        if on_frame:
            on_frame(i, matches)
        named = sum(1 for m in matches if m.name)
        if faces and named > tally.best_named:
            best, tally.best_named = (rgb, faces, matches), named
    return best
