"""Aggregate per-frame matches over the sampled frames, and decide when the answer is stable."""

import math
from dataclasses import dataclass, field

from classroom_common.matching import FaceMatch
from classroom_common.models import Match, Recognition


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
