"""Attendance: when each person was seen, from the sampled frames' times, and the merge of a lecture's
segments. Kept apart from the votes (``classroom_common.votes``): it records sightings, the votes decide
who counts as present. No vision here: MergeSegments imports it without loading the networks."""

from collections.abc import Iterable

from classroom_common.models import Attendance, Match, Presence, Recognition
from classroom_common.votes import decide, votes_needed


def record(attendance: Attendance, seconds: float, names: Iterable[str]) -> None:
    """One more sampled frame, at ``seconds`` into the video, in which ``names`` were recognized."""
    frame = Attendance(
        frames_sampled=1,
        students=[Presence(name=n, first_seen=seconds, last_seen=seconds, frames_seen=1) for n in set(names)],
    )
    total = combine([attendance, frame])
    attendance.frames_sampled, attendance.students = total.frames_sampled, total.students


def combine(parts: Iterable[Attendance]) -> Attendance:
    """Several runs of frames (a lecture's segments) as one: earliest first, latest last, frames added."""
    total = Attendance()
    by_name: dict[str, Presence] = {}
    for part in parts:
        total.frames_sampled += part.frames_sampled
        for p in part.students:
            if p.name in by_name:
                seen = by_name[p.name]
                seen.first_seen = min(seen.first_seen, p.first_seen)
                seen.last_seen = max(seen.last_seen, p.last_seen)
                seen.frames_seen += p.frames_seen
            else:
                by_name[p.name] = p.model_copy()
    total.students = sorted(by_name.values(), key=lambda p: p.name)
    return total


def merge(segments: list[Recognition]) -> Recognition:
    """A lecture's segments as one recognition: everyone named in enough sampled frames of the whole
    lecture (``votes_needed``), whichever segments they fall in (their best distance, their frames
    added), with every sighting of them; the annotated frame of the segment that named the most people."""
    seen: dict[str, Match] = {}
    for segment in segments:
        for m in segment.students:
            if m.name in seen:
                kept = seen[m.name]
                kept.distance, kept.frames = min(kept.distance, m.distance), kept.frames + m.frames
            else:
                seen[m.name] = m.model_copy()
    frames = sum(s.frames_used for s in segments)
    named = [s for s in segments if s.annotated_key and s.students]
    best = max(named, key=lambda s: len(s.students), default=None)
    return decide(
        seen.values(),
        votes_needed(frames),
        unknown_faces=max((s.unknown_faces for s in segments), default=0),
        frames_used=frames,
        faces=sum(s.faces for s in segments),
        faces_not_encoded=sum(s.faces_not_encoded for s in segments),
        annotated_key=best.annotated_key if best else None,
        sightings=combine(s.attendance for s in segments),
    )
