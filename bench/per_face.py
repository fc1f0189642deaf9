"""Why a real-camera video's student is missed: each person's face in each sampled frame, in this process.

The frames are the ones ExtractFrames takes (``sample_indices``, decoded by ``frames.Decoder.jpegs``:
the first batch, then the samples still to decode), and each goes through the vision layer's steps as
RecognizeFaces runs them (``detect``, ``encodable``, ``largest``, ``encode``, ``match``). Every face
found is tied to the person pasted nearest it (``synthetic.cameras.Video.faces``: the ground truth of
that very frame), so for every student and frame we know: found or not, the face's width, its distance
to the student's own known face, and the name it got. Nothing here decides anything: it explains what
the pipeline's answer was made of.

    python -m bench.per_face [condition ...]
"""

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

NEAR = 0.5  # a face found belongs to a pasted face if their centres are this many face widths apart


@dataclass
class Sighting:
    """One person in one sampled frame, as the pipeline's steps saw them."""

    found: bool
    width: int = 0  # the pasted face's width, px
    own: float | None = None  # distance to their own known face (a student), else None
    name: str | None = None  # the name the match gave (None: unknown)
    distance: float | None = None  # the match's distance (to the nearest known face)
    encoded: bool = False  # big enough to encode (``encodable``) and among the ``largest``
    encoding: np.ndarray | None = field(default=None, repr=False)


@dataclass
class Frame:
    index: int
    people: dict[str, Sighting]  # a person's label -> their face in this frame
    strays: list[str] = field(default_factory=list)  # faces found where nobody was pasted: their names


def _label(name: str | None, source: str, seat: int) -> str:
    return name if name else f"stranger {seat} ({source})"


def sampled_jpegs(path: Path, samples: int) -> list[tuple[int, bytes]]:
    """The JPEGs ExtractFrames makes of ``path``: its first batch, then the rest, as the steps read them."""
    from devstack.function_path import import_module
    from devstack.template import Template

    frames = import_module(Template().function("ExtractFramesFunction"), "frames")
    with frames.opened(path, frames.Limits()) as decoder:
        order = frames.sample_indices(decoder.info.frame_count, samples)
        first = decoder.jpegs(order[: frames.FIRST_BATCH])
    rest = frames.still_to_decode(order[frames.FIRST_BATCH :], [i for i, _ in first])
    with frames.opened(path, frames.Limits()) as decoder:
        return first + decoder.jpegs(rest)


def look(video, known, threshold: float, max_faces: int, samples: int) -> list[Frame]:
    """Every sampled frame of ``video`` (a ``synthetic.cameras.Video``), person by person."""
    from classroom_vision.boxes import largest
    from classroom_vision.detection import detect
    from classroom_vision.encoding import encodable, encode
    from classroom_vision.images import decode_rgb
    from classroom_vision.matching import match

    result = []
    for index, jpeg in sampled_jpegs(video.path, samples):
        rgb = decode_rgb(jpeg)
        boxes = detect(rgb)
        faces = encode(rgb, largest(encodable(boxes), max_faces))
        matches = match((f.encoding for f in faces), known, threshold)
        matched = {f.box: (f, m) for f, m in zip(faces, matches, strict=True)}
        truth = video.faces[index]
        people = {_label(t.name, t.source, i): Sighting(False, width=t.width) for i, t in enumerate(truth)}
        strays = []
        for box in boxes:
            cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
            gaps = [
                np.hypot(cx - (t.box[1] + t.box[3]) / 2, cy - (t.box[0] + t.box[2]) / 2) / max(1, t.width)
                for t in truth
            ]
            nearest = int(np.argmin(gaps)) if gaps else -1
            face, found = matched.get(box, (None, None))
            if nearest < 0 or gaps[nearest] > NEAR:
                strays.append((found.name or "unknown") if found else "not encoded")
                continue
            t = truth[nearest]
            sighting = people[_label(t.name, t.source, nearest)]
            sighting.found = True
            if face is not None:
                sighting.encoded, sighting.name, sighting.distance = True, found.name, found.distance
                sighting.encoding = face.encoding
                if t.name is not None:
                    own = known.encodings[known.names == t.name]
                    sighting.own = float(np.linalg.norm(own - face.encoding, axis=1).min())
        result.append(Frame(index, people, strays))
    return result


def cell(s: Sighting, who: str | None) -> str:
    """A sighting in a few characters: ``0.41`` named right (distance), ``?0.63`` unknown (its distance
    to the student's own face), ``X:name`` named wrong, ``-`` not found, ``small`` found, not encoded."""
    if not s.found:
        return "-"
    if not s.encoded:
        return "small"
    if s.name is None:
        return f"?{s.own:.2f}" if s.own is not None else f"?{s.distance:.2f}"
    if s.name != who:
        return f"X:{s.name}"
    return f"{s.distance:.2f}"


def mean_distance(frames: list[Frame], name: str, known) -> float | None:
    """How far the mean of a student's encodings over the frames is from their own known face: what
    naming a followed face by its mean encoding would see."""
    encodings = [f.people[name].encoding for f in frames if name in f.people]
    encodings = [e for e in encodings if e is not None]
    if not encodings:
        return None
    own = known.encodings[known.names == name]
    return float(np.linalg.norm(own - np.mean(encodings, axis=0), axis=1).min())


def table(frames: list[Frame], students: list[str], known=None, used: int | None = None) -> list[str]:
    """One line per student (and one for the strangers), one column per sampled frame, and the distance
    of the student's mean encoding (``mean_distance``) when ``known`` is given; ``used``: how many of the
    frames the pipeline looked at."""
    mean = f"{'mean':>9}" if known is not None else ""
    lines = ["   " + f"{'frame':<18}" + "".join(f"{f.index:>9}" for f in frames) + mean]
    for name in students:
        cells = [cell(f.people.get(name, Sighting(False)), name) for f in frames]
        if known is not None:
            d = mean_distance(frames, name, known)
            cells.append("-" if d is None else f"{d:.2f}")
        lines.append("   " + f"{name:<18}" + "".join(f"{c:>9}" for c in cells))
    strangers = [(f, [s for who, s in f.people.items() if who.startswith("stranger")]) for f in frames]
    counts = [
        f"{sum(1 for s in people if s.found and s.encoded and s.name is None)}"
        f"/{len(people)}" + ("".join(f" X:{s.name}" for s in people if s.name))
        for _, people in strangers
    ]
    lines.append("   " + f"{'strangers unknown':<18}" + "".join(f"{c:>9}" for c in counts))
    strays = [",".join(f.strays) if f.strays else "" for f in frames]
    if any(strays):
        lines.append("   " + f"{'found elsewhere':<18}" + "".join(f"{c:>9}" for c in strays))
    if used is not None and used < len(frames):
        lines.append(f"   the pipeline looked at the first {used} of these {len(frames)} frames")
    return lines


def main(argv: list[str] | None = None) -> int:
    from classroom_vision.faces import load_models
    from classroom_vision.known_faces import from_course_pickle
    from devstack import seeding
    from devstack.template import Template
    from synthetic import cameras

    names = (argv if argv is not None else sys.argv[1:]) or list(cameras.CONDITIONS)
    template = Template()
    samples, threshold = int(template.ref("FrameSamples")), float(template.ref("MatchThreshold"))
    max_faces = int(template.ref("MaxFacesPerFrame"))
    load_models()
    known = from_course_pickle(seeding.SAMPLE_ENCODINGS.read_bytes())
    with tempfile.TemporaryDirectory(prefix="cameras-") as folder:
        for name in names:
            video = cameras.make(name, Path(folder))
            print(f"\n== {name}: {video.condition.description}")
            frames = look(video, known, threshold, max_faces, samples)
            print("\n".join(table(frames, video.students, known)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
