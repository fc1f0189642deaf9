"""Who counts as recognized: votes per person over the frames looked at, the early-stop test, and the
one place a ``Recognition`` (the answer) is built from votes and sightings.

Plain data and no vision, so a clip's run can carry its tally from one batch of frames to the next and
a lecture's merge (which loads no networks) votes the same way.
"""

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, Field

from classroom_common.models import AGREEING_FRAMES, Attendance, Match, Recognition


def votes_needed(frames: int) -> int:
    """A person must be seen in two of the ``frames`` looked at (one, if only one was): a name in a
    single frame is a chance match, while a student hidden by a neighbour or looking down in the other
    frames still counts once seen clearly twice. A clip's tally and a lecture's merge both vote so."""
    return min(2, max(1, frames))


def decide(
    candidates: Iterable[Match],
    needed: int,
    *,
    unknown_faces: int,
    frames_used: int,
    faces: int,
    faces_not_encoded: int,
    annotated_key: str | None,
    sightings: Attendance,
) -> Recognition:
    """The answer: the candidates named in ``needed`` frames or more, and only their sightings (a
    chance match has no attendance)."""
    students = sorted((m for m in candidates if m.frames >= needed), key=lambda m: m.name)
    kept = {m.name for m in students}
    return Recognition(
        students=students,
        unknown_faces=unknown_faces,
        frames_used=frames_used,
        faces=faces,
        faces_not_encoded=faces_not_encoded,
        annotated_key=annotated_key,
        attendance=Attendance(
            frames_sampled=sightings.frames_sampled,
            students=[p for p in sightings.students if p.name in kept],
        ),
    )


class Seen(BaseModel):
    """What one frame showed: the people named, the unknown faces, whether it had faces at all."""

    names: list[str]
    unknown: int
    faces: bool


class FrameVote(Protocol):
    """One face's match in one frame (``classroom_vision.matching.FaceMatch``): a name, None for a face
    matching nobody, and its distance."""

    @property
    def name(self) -> str | None: ...

    @property
    def distance(self) -> float: ...


class Tally(BaseModel):
    """Votes per person over the frames looked at, with the early-stop test."""

    names: dict[str, list[float]] = Field(default_factory=dict)  # person -> distance in each frame
    frames: int = 0
    faces: int = 0
    unknown_max: int = 0
    not_encoded: int = 0
    best_named: int = -1  # people named in the annotated frame so far
    recent: list[Seen] = Field(default_factory=list)

    def add(self, matches: Iterable[FrameVote]) -> None:
        """One more frame's matches."""
        matches = list(matches)
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

    def candidates(self) -> list[Match]:
        """Everyone named at least once: their best distance and the frames they were named in."""
        return [Match(name=name, distance=round(min(d), 4), frames=len(d)) for name, d in self.names.items()]

    def answer(
        self, sightings: Attendance, annotated_key: str | None, needed: int | None = None
    ) -> Recognition:
        """Who counts (``needed`` votes, by default ``votes_needed()``), with the counts of the faces."""
        return decide(
            self.candidates(),
            self.votes_needed() if needed is None else needed,
            unknown_faces=self.unknown_max,
            frames_used=self.frames,
            faces=self.faces,
            faces_not_encoded=self.not_encoded,
            annotated_key=annotated_key,
            sightings=sightings,
        )
