"""Who counts as recognized: votes per person over the frames looked at, the early-stop test, and the
one place a ``Recognition`` (the answer) is built from votes and sightings.

Plain data and no vision, so a clip's run can carry its tally from one batch of frames to the next and
a lecture's merge (which loads no networks) votes the same way.
"""

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, Field

from classroom_common.models import AGREEING_FRAMES, Attendance, Match, Recognition

# An unknown face nearer than this to a known person could still be them, through a dim, blocky or
# shaken camera (students named only in later frames, or only by their track, were 0.58-0.68 from
# their photos in the frames that missed them); one further away is a stranger, and does not keep
# a clip's search going.
COULD_BE = 0.7


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
    """The answer: the people ``counted``, and only their sightings (a chance match has no attendance)."""
    students = counted(candidates, needed)
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


def counted(candidates: Iterable[Match], needed: int) -> list[Match]:
    """The candidates named in ``needed`` frames or more, by name; a person named twice over (each
    frame's names, a track's) is one: their best distance, their most frames."""
    best: dict[str, Match] = {}
    for m in candidates:
        kept = best.get(m.name)
        if kept is not None:
            m = Match(name=m.name, distance=min(m.distance, kept.distance), frames=max(m.frames, kept.frames))
        best[m.name] = m
    return sorted((m for m in best.values() if m.frames >= needed), key=lambda m: m.name)


class Seen(BaseModel):
    """What one frame showed: the people named, the unknown faces (and of those, the ones that could
    still be a student), whether it had faces at all."""

    names: list[str]
    unknown: int
    faces: bool
    doubtful: int = 0


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
        doubtful = sum(1 for m in matches if m.name is None and m.distance < COULD_BE)
        seen = Seen(
            names=sorted({m.name for m in matches if m.name}),
            unknown=unknown,
            faces=bool(matches),
            doubtful=doubtful,
        )
        self.recent = [*self.recent, seen][-AGREEING_FRAMES:]

    @property
    def stable(self) -> bool:
        """The last frames saw faces, agree on who is there and leave no unknown face that could still
        be a student (``COULD_BE``), and nobody seen so far is undecided: a face named in one frame only
        may be a chance match, or a student the others hid, and an unknown face near a student may be
        them in a dim or blocky back row that a later frame names, so the search goes on while either
        is so. A room of strangers far from everyone known still stops early."""
        recent = self.recent
        agree = len(recent) == AGREEING_FRAMES and recent[0].faces and all(s == recent[0] for s in recent)
        return (
            agree
            and recent[0].doubtful == 0
            and all(len(d) >= self.votes_needed() for d in self.names.values())
        )

    def votes_needed(self) -> int:
        return votes_needed(self.frames)

    def candidates(self) -> list[Match]:
        """Everyone named at least once: their best distance and the frames they were named in."""
        return [Match(name=name, distance=round(min(d), 4), frames=len(d)) for name, d in self.names.items()]

    def answer(
        self,
        sightings: Attendance,
        annotated_key: str | None,
        needed: int | None = None,
        followed: Iterable[Match] = (),
        unknown_faces: int | None = None,
    ) -> Recognition:
        """Who counts (``needed`` votes, by default ``votes_needed()``), with the counts of the faces;
        ``followed`` are the people that faces followed across frames name (their frames: the track's),
        ``unknown_faces`` what those leave unnamed (by default, each frame's own unknown faces)."""
        return decide(
            [*self.candidates(), *followed],
            self.votes_needed() if needed is None else needed,
            unknown_faces=self.unknown_max if unknown_faces is None else unknown_faces,
            frames_used=self.frames,
            faces=self.faces,
            faces_not_encoded=self.not_encoded,
            annotated_key=annotated_key,
            sightings=sightings,
        )
