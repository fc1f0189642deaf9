"""Faces followed across frames: in a class people sit still, so each frame's faces are joined to the
faces of the frames before by where they are (camera shake taken out) and, as a tie-break and a guard,
by what they look like. One person is one track, and a track is named from all its faces: the mean of
its encodings is nearer the person than a compressed, dim or turned single frame is, so a student the
encoder names in only some frames (or none) is named, while a stranger whose one frame happened to fall
under the threshold is not (one frame is never a track's name).

A track is split, never merged: a face that looks like someone else (its encoding further than
``LOOK_ALIKE`` from the track's mean, or named on its own as a person the track's mean is not) starts a
new track, so two students who swap seats between
samples become four tracks, each named for whoever it is. Two tracks of one student (a split, or a
swap) both name the student unless they were seen in the same frame; the answer lists each person once.
"""

from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel

from attendance import combine
from classroom_common.models import Attendance, Match, Presence, Recognition
from classroom_common.votes import Tally
from classroom_vision.boxes import Box
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import FaceMatch, assign, to_people

LOOK_ALIKE = 0.8  # a face further than this from a track's mean is someone else (one person's faces
# through a dim, blocky camera stay within ~0.6 of each other; the course's people are 0.65-1.04 apart)
MOVE = 1.0  # how far a face may move between samples (camera shake taken out), in face widths
RESIZE = 1.5  # how much a face may grow or shrink between samples (leaning in, sitting back)


class Track(BaseModel):
    """One person's faces over the frames looked at."""

    box: tuple[int, int, int, int]  # the last face's Box (top, right, bottom, left)
    seconds: list[float]  # when each face was seen
    names: list[str | None]  # each face's own match (None: nobody under the threshold)
    encoding_sum: list[float]  # of the faces' encodings (the mean names the track)

    @property
    def mean(self) -> np.ndarray:
        return np.asarray(self.encoding_sum) / len(self.seconds)


class Tracks(BaseModel):
    """Every track so far; plain data, so a clip's next batch of frames can carry on from it."""

    tracks: list[Track] = []

    def add(
        self,
        seconds: float,
        boxes: Sequence[Box],
        encodings: Sequence[np.ndarray],
        matches: Sequence[FaceMatch],
    ) -> None:
        """One frame's faces: each joins the track it continues, or starts one."""
        joined = associate(self.tracks, boxes, encodings, [m.name for m in matches])
        for face, (box, encoding, found) in enumerate(zip(boxes, encodings, matches, strict=True)):
            if face in joined:
                track = self.tracks[joined[face]]
                track.box = tuple(box)
                track.seconds.append(seconds)
                track.names.append(found.name)
                track.encoding_sum = (np.asarray(track.encoding_sum) + encoding).tolist()
            else:
                self.tracks.append(
                    Track(box=tuple(box), seconds=[seconds], names=[found.name], encoding_sum=list(encoding))
                )

    def named(self, known: KnownFaces, threshold: float) -> list[FaceMatch]:
        """Each track's person: its mean encoding matched as a face is (``assign``), for a track of two
        faces or more (one face is a chance). Two tracks seen in one frame are two people: the closer
        keeps a name both would take, the other takes its next-nearest person; tracks never seen
        together (one student split in two) may share a name. A track that names nobody has the name
        None."""
        found = [FaceMatch(None, float("inf"))] * len(self.tracks)
        multi = [i for i, track in enumerate(self.tracks) if len(track.seconds) >= 2]
        if not multi or len(known.names) == 0:
            return found
        seen = [set(self.tracks[i].seconds) for i in multi]
        distances = to_people((self.tracks[i].mean for i in multi), known)
        matches = assign(distances, list(known.people), threshold, lambda a, b: bool(seen[a] & seen[b]))
        for i, m in zip(multi, matches, strict=True):
            found[i] = m
        return found

    def answer(
        self,
        tally: Tally,
        seen: Attendance,
        known: KnownFaces,
        threshold: float,
        annotated_key: str | None = None,
        needed: int | None = None,
    ) -> Recognition:
        """Who is there so far: each frame's names (``tally``, their sightings ``seen``) with the people
        the tracks name (``Tally.answer``: ``needed`` votes)."""
        named = self.named(known, threshold)
        return tally.answer(
            combine([seen, self.sightings(named)]),
            annotated_key,
            needed,
            self.candidates(named),
            unknown_faces=self.unknown_faces(named),
        )

    def candidates(self, named: list[FaceMatch]) -> list[Match]:
        """The people the tracks name: the distance is their mean's, the frames their track's."""
        return [
            Match(name=found.name, distance=round(found.distance, 4), frames=len(track.seconds))
            for track, found in zip(self.tracks, named, strict=True)
            if found.name is not None
        ]

    def sightings(self, named: list[FaceMatch]) -> Attendance:
        """The faces of named tracks that were not named on their own (no frames of its own: to combine
        with each frame's sightings): a student is seen wherever their track is."""
        extra = [
            Presence(name=found.name, first_seen=when, last_seen=when, frames_seen=1)
            for track, found in zip(self.tracks, named, strict=True)
            if found.name is not None
            for when, own in zip(track.seconds, track.names, strict=True)
            if own != found.name
        ]
        return Attendance(students=extra)

    def unknown_faces(self, named: list[FaceMatch]) -> int:
        """The most faces of one frame that nobody could name: on their own, or by their track."""
        per_frame: dict[float, int] = {}
        for track, found in zip(self.tracks, named, strict=True):
            if found.name is None and not any(track.names):
                for when in track.seconds:
                    per_frame[when] = per_frame.get(when, 0) + 1
        return max(per_frame.values(), default=0)


def _centre(box: Sequence[int]) -> np.ndarray:
    top, right, bottom, left = box
    return np.array([(left + right) / 2, (top + bottom) / 2])


def _width(box: Sequence[int]) -> int:
    return box[1] - box[3] + 1


def _other_people(tracks: list[Track], names: Sequence[str | None]) -> np.ndarray:
    """Faces x tracks: True where the face is named on its own as someone its track's faces never were
    while the track has a name of its own (students who swapped seats)."""
    own = [{n for n in t.names if n} for t in tracks]
    return np.array(
        [[bool(name and seen and name not in seen) for seen in own] for name in names], dtype=bool
    )


def associate(
    tracks: list[Track], boxes: Sequence[Box], encodings: Iterable[np.ndarray], names: Sequence[str | None]
) -> dict[int, int]:
    """Face index -> track index for the faces that continue a track: near where the track's last face
    was once the frame's shift (the camera's shake: the median move of the faces to their likeliest
    tracks) is taken out, about its size, alike, and not named as someone else; the cheapest pairs first, one
    face a track."""
    encodings = list(encodings)
    if not tracks or not boxes:
        return {}
    means = np.array([t.mean for t in tracks])
    looks = np.linalg.norm(np.array(encodings)[:, None, :] - means[None, :, :], axis=2)  # faces x tracks
    sizes = np.array([[max(_width(b), 1) / max(_width(t.box), 1) for t in tracks] for b in boxes])
    alike = (looks < LOOK_ALIKE) & (np.maximum(sizes, 1 / sizes) < RESIZE) & ~_other_people(tracks, names)
    gaps = np.array(
        [[np.linalg.norm(_centre(b) - _centre(t.box)) / _width(t.box) for t in tracks] for b in boxes]
    )
    nearest = np.where(alike, gaps + looks, np.inf).argmin(axis=1)  # each face's likeliest track, unshaken
    moves = [_centre(boxes[f]) - _centre(tracks[nearest[f]].box) for f in range(len(boxes)) if alike[f].any()]
    shift = np.median(moves, axis=0) if moves else np.zeros(2)
    pairs = []
    for f, t in zip(*np.nonzero(alike), strict=True):
        moved = np.linalg.norm(_centre(boxes[f]) - shift - _centre(tracks[t].box)) / _width(tracks[t].box)
        if moved < MOVE:
            pairs.append((moved + looks[f, t], int(f), int(t)))
    joined: dict[int, int] = {}
    for _cost, f, t in sorted(pairs):
        if f not in joined and t not in joined.values():
            joined[f] = t
    return joined
