"""Where a clip's CPU goes in process, stage by stage, and what "guided detection" would save.

All in this process, one thread (RecognizeFaces' memory: one vCPU), CPU time (``time.process_time``),
medians of ``--repeat`` rounds after one round not counted; every table's figures come from the same
run, with one face encoding's time on this host printed before and after (the host is shared, and its
speed varies by ±50 % from day to day: read ratios and shares, not milliseconds).

1. Stages of a clip, run as the pipeline runs it (``bench.in_process.recognizer``'s two batches and its
   stop, ``recognition.recognize_frames`` itself with its functions wrapped by clocks): opening the
   video, decoding the samples and writing them as JPEGs (ExtractFrames' ``Decoder.frames`` and
   ``to_jpeg``), reading them back (``decode_rgb``), each of ``detect``'s passes (the frame at 960 px,
   at 320 px, the second looks and the merging), landmarks and chips, the ResNet, and matching with the
   votes and the tracks. Each clip is run with ``detect`` and with the prototype below, taking turns:
   CPU, frames looked at, names and unknown faces.
2. The prototype ("guided detection", here only): on a clip's first frame ``detect``; on each later
   frame YuNet on a fixed-size crop around each face of the frame before (its box grown by ``--grow``
   face widths each side, scaled to ``--crop`` px; all crops in one batch), and on the whole frame at
   ``--newcomer-side`` px for newcomers; the candidates gated as ``detect`` gates them (sure, or
   confirmed by a second look). A frame following more than ``--max-tracks`` faces gets ``detect``.
   On every sampled frame after the first (each clip's frames in order, the prototype following its own
   boxes) against ``detect``: faces ``detect`` finds that it misses, faces it adds, box differences,
   the distance between the encodings of the two boxes and the names they get (beside the same for
   ``detect`` on the frame moved by one pixel: how much a box moves by chance), and CPU a frame.
3. The newcomer pass alone (every face a newcomer), at 320, 480 and 640 px: which of ``detect``'s faces
   it finds sure, which only after a second look, which not, by width in the frame's pixels; its false
   faces, second looks and CPU a frame beside ``detect``'s.

Clips: the 8 course clips, real-camera classrooms (``synthetic.cameras``) and generated classroom clips
(``bench.classroom``: ``students-1080p-11`` has a back row 40-60 px wide at 1080p; ``class-51`` 66
people 44-100 px), made in a temporary folder.

    .venv/bin/python -m bench.guided_detection [--repeat 5] [--cameras ceiling dim class-of-32 phone]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from unittest import mock

import cv2
import numpy as np

from classroom_vision import detection as yunet
from classroom_vision.boxes import Box

STAGES = (
    "video open",
    "video decode",
    "JPEG encode",
    "JPEG decode",
    "detect 960",
    "detect 320",
    "second looks+merge",
    "guided crops",
    "guided newcomer pass",
    "landmarks+chips",
    "ResNet",
    "match+votes+tracks",
)
DETECTION = STAGES[4:9]
WIDTHS = (0, 48, 64, 96, 144)  # lower bounds of the face-width buckets, px of the frame
SAME_FACE_IOU = 0.4  # two boxes of one face, from two detectors


class Clock:
    """CPU seconds per stage, added up, and the second looks taken."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.looks = 0

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[stage] += time.process_time() - started


Detector = Callable[[np.ndarray, Clock], list[Box]]

# --- detect(), pass by pass ---------------------------------------------------------------------------


def _gate(rgb: np.ndarray, rows: yunet.Rows, clock: Clock, looks: bool = True) -> list[Box]:
    """``detect``'s end: merged, sure rows kept, unsure ones looked at again (none if not ``looks``),
    mapped to HOG-like boxes."""
    with clock("second looks+merge"):
        accepted, looked = [], 0
        for row in yunet._suppress(np.asarray(rows, np.float32).reshape(-1, 15)):
            if row[14] >= yunet.SURE_SCORE:
                accepted.append(row)
            elif looks and looked < yunet.MAX_VERIFY:
                looked += 1
                if (better := yunet._second_look(rgb, row)) is not None:
                    accepted.append(better)
        clock.looks += looked
        kept = yunet._suppress(np.array(accepted, np.float32).reshape(-1, 15))
        return [yunet._hog_like(row) for row in kept]


def timed_detect(rgb: np.ndarray, clock: Clock) -> list[Box]:
    """``detection.detect`` step for step, each pass on its own clock (checked: the same boxes)."""
    with clock("detect 960"):
        scale = yunet.SIDE / max(rgb.shape[:2])
        main = yunet._resize(rgb, scale)
        rows = [yunet._run("main", main) / np.r_[[scale] * 14, 1]]
    with clock("detect 320"):
        close = yunet._run("close", yunet._resize(main, yunet.CLOSE_SIDE / yunet.SIDE))
        close = close[close[:, 2] >= yunet.CLOSE_MIN]
        rows.append(close / np.r_[[scale * yunet.CLOSE_SIDE / yunet.SIDE] * 14, 1])
    return _gate(rgb, np.concatenate(rows), clock)


# --- the prototype ------------------------------------------------------------------------------------


def _rows(outputs: list[np.ndarray], side: int) -> yunet.Rows:
    """One square input's rows from YuNet's outputs, as ``detection._run`` decodes and merges them."""
    rows = np.concatenate([yunet._decode(outputs, level, side // s) for level, s in enumerate(yunet.STRIDES)])
    if len(rows) > 1:
        boxes = rows[:, :4].astype(np.int32).tolist()
        threshold = float(np.float32(yunet.CANDIDATE_SCORE))
        kept = cv2.dnn.NMSBoxes(boxes, rows[:, 14].tolist(), threshold, yunet.NMS_IOU, 1.0, yunet.TOP_K)
        rows = rows[np.asarray(kept, dtype=np.intp).reshape(-1)]
    return rows


def _known(rows: yunet.Rows, faces: yunet.Rows) -> np.ndarray:
    """For each of ``rows`` (the small pass's), whether its centre lies in one of ``faces`` (the crops'):
    the same face, boxed more coarsely."""
    if not len(rows) or not len(faces):
        return np.zeros(len(rows), bool)
    x, y = (rows[:, 0] + rows[:, 2] / 2)[:, None], (rows[:, 1] + rows[:, 3] / 2)[:, None]
    left, top = faces[:, 0][None, :], faces[:, 1][None, :]
    inside = (x >= left) & (x <= left + faces[:, 2]) & (y >= top) & (y <= top + faces[:, 3])
    return inside.any(axis=1)


@dataclass
class Guided:
    """Guided detection: ``detect`` on a clip's first frame, then crops around the faces of the frame
    before and a small whole-frame pass for newcomers. A detector for one clip at a time (``reset``)."""

    grow: float = 1.0  # face widths added each side of a box (tracks.MOVE: a face moves at most 1)
    crop: int = 96  # px, a crop's side at YuNet's input (a multiple of 32: nothing padded)
    newcomer_side: int = 320  # px, the newcomer pass's longest side
    max_tracks: int = 24  # more faces than this to follow: ``detect`` (the crops would cost more)
    boxes: list[Box] = field(default_factory=list)  # the faces of the frame before
    guided: int = 0  # frames detected the guided way since ``reset``

    def reset(self) -> None:
        self.boxes, self.guided = [], 0

    def __call__(self, rgb: np.ndarray, clock: Clock) -> list[Box]:
        self.boxes = self.step(rgb, self.boxes, clock)
        return self.boxes

    def step(self, rgb: np.ndarray, tracks: list[Box], clock: Clock) -> list[Box]:
        """``rgb``'s faces given the frame before's: guided, or ``detect`` with none or too many."""
        if not tracks or len(tracks) > self.max_tracks:
            return timed_detect(rgb, clock)
        self.guided += 1
        return self.detect(rgb, tracks, clock)

    def detect(self, rgb: np.ndarray, tracks: list[Box], clock: Clock, looks: bool = True) -> list[Box]:
        """The faces of ``rgb``, looked for around ``tracks`` and, for newcomers, in the whole frame at
        ``newcomer_side`` px; unsure ones looked at again if ``looks``."""
        with clock("guided crops"):
            near = self.around(rgb, tracks)
        with clock("guided newcomer pass"):
            scale = self.newcomer_side / max(rgb.shape[:2])
            new = yunet._run("newcomer", yunet._resize(rgb, scale)) / np.r_[[scale] * 14, 1]
            # A face a crop found keeps the crop's box (finer): the small pass adds what no crop found.
            new = new[~_known(new, near)]
        return _gate(rgb, np.concatenate([near, new]).astype(np.float32), clock, looks)

    def around(self, rgb: np.ndarray, tracks: list[Box]) -> yunet.Rows:
        """YuNet on a square crop around each box of ``tracks`` (grown by ``grow`` face widths each side,
        scaled to ``crop`` px), all in one batch: the faces wholly inside a crop (one cut by its edge is
        a neighbour's, whole in the neighbour's crop), rows in the frame's pixels."""
        height, width = rgb.shape[:2]
        pieces, places = [], []
        for box in tracks:
            side = max(1, round((1 + 2 * self.grow) * box.width))
            x0 = round((box.left + box.right) / 2 - side / 2)
            y0 = round((box.top + box.bottom) / 2 - side / 2)
            part = rgb[max(0, y0) : min(height, y0 + side), max(0, x0) : min(width, x0 + side)]
            if part.size == 0:
                continue
            pad = (max(0, -y0), max(0, y0 + side - height), max(0, -x0), max(0, x0 + side - width))
            part = cv2.copyMakeBorder(part, *pad, cv2.BORDER_REPLICATE)
            scale = self.crop / side
            shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            pieces.append(cv2.resize(part, (self.crop, self.crop), interpolation=shrink))
            places.append((scale, x0, y0))
        if not pieces:
            return np.zeros((0, 15), np.float32)
        # YuNet was trained on BGR: the channels swapped on the input, as ``detection._run`` does.
        blob = np.ascontiguousarray(np.stack(pieces)[..., ::-1].transpose(0, 3, 1, 2), np.float32)
        network = yunet._network("track")
        network.setInput(blob)
        outputs = network.forward(yunet.OUTPUTS)
        found = []
        for b, (scale, x0, y0) in enumerate(places):
            rows = _rows([o[b : b + 1] for o in outputs], self.crop)
            x, y, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
            rows = rows[(x >= 0) & (y >= 0) & (x + w <= self.crop) & (y + h <= self.crop)].copy()
            rows[:, :14] /= scale
            rows[:, [0, 4, 6, 8, 10, 12]] += x0
            rows[:, [1, 5, 7, 9, 11, 13]] += y0
            found.append(rows)
        return np.concatenate(found)


# --- comparing boxes ----------------------------------------------------------------------------------


def _iou(a: Box, b: Box) -> float:
    x = max(0, min(a.right, b.right) - max(a.left, b.left) + 1)
    y = max(0, min(a.bottom, b.bottom) - max(a.top, b.top) + 1)
    return x * y / (a.area + b.area - x * y)


def paired(reference: list[Box], found: list[Box]) -> tuple[list[tuple[Box, Box]], list[Box], list[Box]]:
    """The faces in both (boxes overlapping by ``SAME_FACE_IOU`` or more, best first), the reference's
    left (missed) and ``found``'s left (extra)."""
    pairs = sorted(
        ((_iou(r, f), i, j) for i, r in enumerate(reference) for j, f in enumerate(found)), reverse=True
    )
    taken_r, taken_f, both = set(), set(), []
    for iou, i, j in pairs:
        if iou >= SAME_FACE_IOU and i not in taken_r and j not in taken_f:
            taken_r.add(i)
            taken_f.add(j)
            both.append((reference[i], found[j]))
    missed = [r for i, r in enumerate(reference) if i not in taken_r]
    return both, missed, [f for j, f in enumerate(found) if j not in taken_f]


def bucket(width: int) -> str:
    """A face width's bucket of ``WIDTHS``, as printed."""
    low = max(w for w in WIDTHS if w <= width)
    upper = [w for w in WIDTHS if w > width]
    return f"{low}-{upper[0]}" if upper else f"{low}+"


@dataclass
class Differences:
    """Two detectors' boxes of the same faces, and what the encoder makes of them."""

    edge_px: list[int] = field(default_factory=list)  # the largest of the four sides' differences
    edge_share: list[float] = field(default_factory=list)  # the same, over the face's width
    moved: list[float] = field(default_factory=list)  # distance between the two boxes' encodings
    renamed: int = 0  # faces whose nearest known person under the threshold differs

    def add(self, rgb: np.ndarray, both: list[tuple[Box, Box]], names: Callable[[list], list]) -> None:
        from classroom_vision.encoding import SMALLEST_FACE, encode

        for a, b in both:
            edge = max(abs(p - q) for p, q in zip(a, b, strict=True))
            self.edge_px.append(edge)
            self.edge_share.append(edge / a.width)
        both = [(a, b) for a, b in both if min(a.width, b.width) >= SMALLEST_FACE]
        if both:
            first = encode(rgb, [a for a, _ in both])
            second = encode(rgb, [b for _, b in both])
            self.moved += [
                float(np.linalg.norm(x.encoding - y.encoding)) for x, y in zip(first, second, strict=True)
            ]
            self.renamed += sum(x != y for x, y in zip(names(first), names(second), strict=True))

    def line(self) -> str:
        px, share, moved = self.edge_px or [0], self.edge_share or [0.0], self.moved or [0.0]
        return (
            f"{statistics.median(px):>4.0f}/{max(px):<4.0f}{100 * statistics.median(share):>5.1f}/"
            f"{100 * max(share):<5.1f}{statistics.median(moved):>6.3f}/{max(moved):<6.3f}{self.renamed:>3}"
        )


# --- the clips ----------------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """The functions' modules and the pipeline's settings, as ``bench.in_process.recognizer`` takes them."""

    frames: ModuleType
    recognition: ModuleType
    tracks: ModuleType
    attendance: ModuleType
    known: object
    samples: int
    threshold: float
    max_faces: int

    @classmethod
    def load(cls) -> "Pipeline":
        from classroom_vision.faces import load_models
        from classroom_vision.known_faces import from_course_pickle
        from devstack import seeding
        from devstack.function_path import import_module
        from devstack.template import Template

        template = Template()
        extract = template.function("ExtractFramesFunction")
        recognize = template.function("RecognizeFacesFunction")
        load_models()
        return cls(
            frames=import_module(extract, "frames"),
            recognition=import_module(recognize, "recognition"),
            tracks=import_module(recognize, "tracks"),
            attendance=import_module(recognize, "attendance"),
            known=from_course_pickle(seeding.SAMPLE_ENCODINGS.read_bytes()),
            samples=int(template.ref("FrameSamples")),
            threshold=float(template.ref("MatchThreshold")),
            max_faces=int(template.ref("MaxFacesPerFrame")),
        )

    def names(self, faces: list) -> list[str | None]:
        """Each face's nearest known person under the threshold, on its own (None: nobody)."""
        from classroom_vision.matching import to_people

        distances = to_people((f.encoding for f in faces), self.known)
        people = list(self.known.people)
        return [people[int(d.argmin())] if d.min() < self.threshold else None for d in distances]

    def jpegs(self, clip: Path, pick: Callable[[list[int]], list[int]], clock: Clock) -> tuple:
        """ExtractFrames' batch of ``clip`` (``Decoder.jpegs`` step by step): samples, (index, JPEG)s, fps."""
        frames = self.frames
        with ExitStack() as stack:
            with clock("video open"):
                decoder = stack.enter_context(frames.opened(clip, frames.Limits()))
                order = frames.sample_indices(decoder.info.frame_count, self.samples)
            decoded, found = decoder.frames(pick(order)), []
            while True:
                with clock("video decode"):
                    item = next(decoded, None)
                if item is None:
                    return order, found, decoder.info.fps
                with clock("JPEG encode"):
                    found.append((item[0], frames.to_jpeg(item[1])))

    def all_frames(self, clip: Path) -> list[np.ndarray]:
        """Every sampled frame of ``clip`` as RecognizeFaces reads it (RGB), both batches."""
        from classroom_vision.images import decode_rgb

        first, clock = self.frames.FIRST_BATCH, Clock()
        order, batch, _ = self.jpegs(clip, lambda order: order[:first], clock)
        rest = self.frames.still_to_decode(order[first:], [i for i, _ in batch])
        if rest:
            batch += self.jpegs(clip, lambda _: rest, clock)[1]
        return [decode_rgb(jpeg) for _, jpeg in batch]

    def run(self, clip: Path, detector: Detector, clock: Clock) -> tuple[list[str], int, int]:
        """``clip`` as the pipeline recognizes it, ``detector`` for ``detect``, every stage on ``clock``:
        the names, the unknown faces and the frames looked at."""
        from classroom_common.models import Attendance
        from classroom_vision import images, matching

        recognition, attendance = self.recognition, self.attendance
        tally, followed, seen = recognition.Tally(), self.tracks.Tracks(), Attendance()

        def read(jpeg: bytes) -> np.ndarray:
            with clock("JPEG decode"):
                return images.decode_rgb(jpeg)

        def match(*args: object) -> list:
            with clock("match+votes+tracks"):
                return matching.match(*args)

        def batch(pick: Callable[[list[int]], list[int]]) -> tuple[list[int], list[int]]:
            order, jpegs, fps = self.jpegs(clip, pick, clock)

            def follow(i: int, faces: list, matches: list) -> None:
                with clock("match+votes+tracks"):
                    when = jpegs[i][0] / fps
                    attendance.record(seen, when, (m.name for m in matches if m.name))
                    followed.add(when, [f.box for f in faces], [f.encoding for f in faces], matches)

            with (
                mock.patch.object(recognition, "decode_rgb", read),
                mock.patch.object(recognition, "detect", lambda rgb: detector(rgb, clock)),
                mock.patch.object(recognition, "encode", lambda rgb, boxes: timed_encode(rgb, boxes, clock)),
                mock.patch.object(recognition, "match", match),
            ):
                recognition.recognize_frames(
                    len(jpegs),
                    lambda i: jpegs[i][1],
                    self.known,
                    self.threshold,
                    self.max_faces,
                    tally,
                    on_frame=follow,
                )
            return order, [index for index, _ in jpegs]

        first = self.frames.FIRST_BATCH
        order, decoded = batch(lambda order: order[:first])
        rest = self.frames.still_to_decode(order[first:], decoded)
        if not tally.stable and rest:
            batch(lambda _: rest)
        with clock("match+votes+tracks"):
            answer = followed.answer(tally, seen, self.known, self.threshold)
        return sorted(m.name for m in answer.students), answer.unknown_faces, tally.frames


def timed_encode(rgb: np.ndarray, boxes: list[Box], clock: Clock) -> list:
    """``encoding.encode`` step for step: landmarks and chips, then the ResNet, on their own clocks."""
    import dlib

    from classroom_vision import encoding

    if not boxes:
        return []
    with clock("landmarks+chips"):
        predictor, network = encoding._models()
        rectangles = [dlib.rectangle(b.left, b.top, b.right, b.bottom) for b in boxes]
        shapes = dlib.full_object_detections([predictor(rgb, r) for r in rectangles])
        chips = dlib.get_face_chips(rgb, shapes, size=encoding.CHIP_SIZE, padding=encoding.CHIP_PADDING)
    with clock("ResNet"):
        network.setInput(cv2.dnn.blobFromImages(chips))
        descriptors = network.forward()
    return [encoding.Face(b, d.astype(np.float64)) for b, d in zip(boxes, descriptors, strict=True)]


# --- measurements -------------------------------------------------------------------------------------


def stages(pipeline: Pipeline, clips: dict[str, Path], guided: Guided, repeat: int) -> dict[str, dict]:
    """Each clip through the pipeline with ``detect`` and with ``guided``, taking turns: median ms of CPU
    per stage and in all, the answer and the frames looked at."""
    ways: dict[str, Detector] = {"detect": timed_detect, "guided": guided}
    samples: dict[str, dict[str, list[Clock]]] = {name: {way: [] for way in ways} for name in clips}
    answers: dict[str, dict[str, tuple]] = {name: {} for name in clips}
    for round_ in range(repeat + 1):  # round 0 warms the networks and caches: not counted
        for name, clip in clips.items():
            for way, detector in ways.items():
                guided.reset()
                clock = Clock()
                started = time.process_time()
                answers[name][way] = pipeline.run(clip, detector, clock)
                clock.seconds["total"] = time.process_time() - started
                if round_:
                    samples[name][way].append(clock)
        print(f"stages: round {round_} of {repeat} done", file=sys.stderr)
    result: dict[str, dict] = {}
    for name in clips:
        result[name] = {}
        for way in ways:
            clocks = samples[name][way]
            ms = {
                k: 1000 * statistics.median(c.seconds.get(k, 0.0) for c in clocks) for k in [*STAGES, "total"]
            }
            names, unknown, frames = answers[name][way]
            result[name][way] = {"ms": ms, "names": names, "unknown": unknown, "frames": frames}
    return result


def compare(pipeline: Pipeline, clips: dict[str, Path], guided: Guided, repeat: int) -> dict[str, dict]:
    """Every sampled frame after the first of each clip: ``guided`` (following its own boxes from the
    first frame's ``detect``) against ``detect``; ``detect`` on the frame moved by a pixel beside it."""
    from classroom_vision.detection import detect

    result = {}
    for name, clip in clips.items():
        rgbs = pipeline.all_frames(clip)
        reference = [detect(rgb) for rgb in rgbs]
        assert timed_detect(rgbs[-1], Clock()) == reference[-1], "timed_detect is not detect"
        guided.reset()
        guided(rgbs[0], Clock())
        tracks, found = [], []
        for rgb in rgbs[1:]:
            tracks.append(guided.boxes)
            found.append(guided(rgb, Clock()))
        missed, extra, looks = [], [], Clock()
        against, by_chance = Differences(), Differences()
        for rgb, ref, got, before in zip(rgbs[1:], reference[1:], found, tracks, strict=True):
            both, lost, more = paired(ref, got)
            missed += [(m.width, m.top) for m in lost]
            extra += [(e.width, e.top) for e in more]
            against.add(rgb, both, pipeline.names)
            shifted = [
                Box(b.top + 1, b.right + 1, b.bottom + 1, b.left + 1) for b in detect(rgb[1:, 1:].copy())
            ]
            by_chance.add(rgb, paired(ref, shifted)[0], pipeline.names)
            guided.step(rgb, before, looks)
        times: dict[str, list[list[float]]] = {"detect": [], "guided": []}
        for round_ in range(repeat + 1):  # each frame both ways from the same tracks, taking turns
            for way in times:
                row = []
                for rgb, before in zip(rgbs[1:], tracks, strict=True):
                    started = time.process_time()
                    if way == "detect":
                        timed_detect(rgb, Clock())
                    else:
                        guided.step(rgb, before, Clock())
                    row.append(time.process_time() - started)
                if round_:
                    times[way].append(row)
        result[name] = {
            "frames": len(rgbs) - 1,
            "guided_frames": sum(0 < len(t) <= guided.max_tracks for t in tracks),
            "faces": sum(len(r) for r in reference[1:]),
            "missed": missed,
            "extra": extra,
            "looks": looks.looks,
            "against": against,
            "by_chance": by_chance,
            **{
                f"ms_{way}": [1000 * statistics.median(v) for v in zip(*rows, strict=True)]
                for way, rows in times.items()
            },
        }
        print(f"compare: {name} done", file=sys.stderr)
    return result


def newcomers(frames: list[np.ndarray], sides: tuple[int, ...]) -> dict[int, dict]:
    """The newcomer pass alone, every face a newcomer: of ``detect``'s faces on ``frames``, by width,
    those it finds sure, those it finds only after a second look, those it misses; its false faces, its
    second looks and its CPU a frame, beside ``detect``'s on the same frames (taking turns)."""
    from classroom_vision.detection import detect

    reference = [detect(rgb) for rgb in frames]
    result = {}
    for side in sides:
        probe = Guided(newcomer_side=side)
        counts: dict[str, Counter] = {"sure": Counter(), "looked": Counter(), "missed": Counter()}
        extra, looks, seconds, detect_seconds = 0, [], 0.0, 0.0
        for rgb, ref in zip(frames, reference, strict=True):
            clock = Clock()
            started = time.process_time()
            found = probe.detect(rgb, [], clock)
            seconds += time.process_time() - started
            started = time.process_time()
            detect(rgb)
            detect_seconds += time.process_time() - started
            looks.append(clock.looks)
            sure = {a for a, _ in paired(ref, probe.detect(rgb, [], Clock(), looks=False))[0]}
            both, lost, more = paired(ref, found)
            extra += len(more)
            for a, _ in both:
                counts["sure" if a in sure else "looked"][bucket(a.width)] += 1
            counts["missed"].update(bucket(a.width) for a in lost)
        result[side] = {
            "counts": counts,
            "extra": extra,
            "frames": len(frames),
            "looks": statistics.fmean(looks),
            "most_looks": max(looks),
            "ms": 1000 * seconds / len(frames),
            "ms_detect": 1000 * detect_seconds / len(frames),
        }
    return result


# --- the report ---------------------------------------------------------------------------------------


def stage_table(title: str, columns: dict[str, dict[str, float]]) -> list[str]:
    """A line per stage, a column per clip: ms of CPU, share of the clip's total."""
    lines = [title, f"  {'stage':<22}" + "".join(f"{n[:17]:>18}" for n in columns)]
    for stage in [*STAGES, "total"]:
        if any(c.get(stage, 0.0) > 0.0 for c in columns.values()):
            cells = [f"{c[stage]:7.1f} {100 * c[stage] / c['total']:5.1f} %" for c in columns.values()]
            lines.append(f"  {stage:<22}" + "".join(f"{c:>18}" for c in cells))
    return lines


def mean_of(results: dict[str, dict], names: list[str], way: str) -> dict[str, float]:
    return {k: statistics.fmean(results[n][way]["ms"][k] for n in names) for k in [*STAGES, "total"]}


def _clip_line(name: str, d: dict, g: dict, estimate: float) -> str:
    """A clip with ``detect`` (``d``) and guided (``g``): frames, CPU, detection's CPU, the estimate."""
    total, detection = d["ms"]["total"], sum(d["ms"][s] for s in DETECTION)
    same = "same" if (d["names"], d["unknown"]) == (g["names"], g["unknown"]) else "DIFFERENT"
    return (
        f"  {name:<18}{d['frames']:>3} ->{g['frames']:>2}{total:9.1f} ->{g['ms']['total']:7.1f} "
        f"({g['ms']['total'] / total:.2f}x){detection:9.1f} ->{sum(g['ms'][s] for s in DETECTION):6.1f}"
        f"{estimate:9.1f} ms {100 * estimate / total:4.1f} %  {same}"
    )


def _frame_line(name: str, c: dict) -> str:
    """Guided against ``detect`` on a clip's frames after the first."""
    d, g = statistics.fmean(c["ms_detect"]), statistics.fmean(c["ms_guided"])
    return (
        f"  {name:<18}{c['guided_frames']:>4}/{c['frames']}{c['faces']:>6}{len(c['missed']):>7}"
        f"{len(c['extra']):>6}{c['looks']:>6}   {c['against'].line():<32}{c['by_chance'].line():<32}"
        f"{d:>7.1f}{g:>7.1f}{g / d:>6.2f}"
    )


def report(staged: dict, compared: dict, newcomer: dict, course: list[str], others: list[str]) -> list[str]:
    out = []
    for way in ("detect", "guided"):
        columns = {"course (mean of 8)": mean_of(staged, course, way)}
        columns |= {n: staged[n][way]["ms"] for n in others}
        out += stage_table(f"\nCPU a clip by stage (ms, share), in process, one thread, {way}:", columns)
    out += [
        "\nA clip, detect -> guided: frames looked at, CPU (ms), CPU in detection; the saving estimated from",
        "the frames after the first (detect - guided a frame, measured apart); names and unknown faces",
        f"  {'clip':<18}{'frames':>7}{'CPU':>10}{'':>14}{'detection':>10}{'':>7}{'estimated saving':>18}",
    ]
    saved: dict[str, list[float]] = {"course": [], "others": []}
    for name in [*course, *others]:
        d, g, c = staged[name]["detect"], staged[name]["guided"], compared[name]
        later = d["frames"] - 1
        estimate = sum(c["ms_detect"][:later]) - sum(c["ms_guided"][:later])
        saved["course" if name in course else "others"].append(estimate / d["ms"]["total"])
        out.append(_clip_line(name, d, g, estimate))
    for kind, names in (("course", course), ("others", others)):
        before, after = (sum(staged[n][way]["ms"]["total"] for n in names) for way in ("detect", "guided"))
        out.append(
            f"  {kind}: estimated saving {100 * statistics.fmean(saved[kind]):.1f} % of a clip's CPU (mean); "
            f"measured, its clips: {before:.0f} -> {after:.0f} ms ({100 * (1 - after / before):.1f} % less)"
        )
    out += [
        "\nGuided against detect, every sampled frame after the first: the box edges' largest difference, px",
        "and % of the width (median/max); the distance between the two boxes' encodings (median/max); faces",
        "named otherwise. The same for detect on the frame moved 1 px (chance). CPU a frame (ms), the ratio.",
        f"  {'clip':<18}{'guided':>6}{'faces':>6}{'missed':>7}{'extra':>6}{'looks':>6}   "
        f"{'guided vs detect':<32}{'detect moved 1 px':<32}{'detect':>7}{'guided':>7}{'ratio':>6}",
    ]
    for name, c in compared.items():
        out.append(_frame_line(name, c))
        if c["missed"] or c["extra"]:
            out.append(f"  {'':<18}missed (width, top): {c['missed']}  extra: {c['extra']}")
    out.append(
        "\nThe newcomer pass alone (no tracks, gated as detect gates): detect's faces by width px, found"
    )
    out.append("sure + only after a second look / all")
    for side, n in newcomer.items():
        counts, cells = n["counts"], []
        for b in (bucket(w) for w in WIDTHS):
            if total := sum(counts[k][b] for k in counts):
                cells.append(f"{b}: {counts['sure'][b]}+{counts['looked'][b]}/{total}")
        out.append(f"  {side} px: " + "  ".join(cells))
        out.append(
            f"  {'':<6} false faces {n['extra']}; second looks {n['looks']:.1f} a frame, "
            f"{n['most_looks']} at most; {n['ms']:.1f} ms a frame against detect's {n['ms_detect']:.1f} "
            f"({n['frames']} frames)"
        )
    return out


def classroom_clips(names: list[str], folder: Path) -> dict[str, Path]:
    """``bench.classroom``'s clips of ``names``, made as it makes them."""
    from bench.classroom import CLIPS, FPS, FRAMES
    from synthetic.clips import write_clip
    from synthetic.scenes import classroom_frame, jitter

    made = {}
    for i, clip in enumerate(CLIPS):
        if clip.name in names:
            scene = classroom_frame(clip.width, clip.height, clip.layout, clip.seed)
            made[clip.name] = write_clip(
                folder / f"{clip.name}.mp4", jitter(scene.frame, FRAMES, seed=i), fps=FPS
            )
    return made


def main(argv: list[str] | None = None) -> int:
    from bench import encoders, host
    from bench.classroom import CLIPS
    from devstack import seeding, workload
    from synthetic import cameras

    parser = argparse.ArgumentParser(
        prog="bench.guided_detection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each timing (medians)")
    parser.add_argument(
        "--cameras",
        nargs="*",
        choices=list(cameras.CONDITIONS),
        default=["ceiling", "dim", "class-of-32", "phone"],
    )
    parser.add_argument(
        "--classroom", nargs="*", choices=[c.name for c in CLIPS], default=["students-1080p-11", "class-51"]
    )
    parser.add_argument("--grow", type=float, default=1.0, help="face widths added each side of a box")
    parser.add_argument("--crop", type=int, default=96, help="px, a crop's side at YuNet's input")
    parser.add_argument("--newcomer-side", type=int, default=320, help="px, the newcomer pass's longest side")
    parser.add_argument("--max-tracks", type=int, default=24, help="more faces to follow: detect")
    args = parser.parse_args(argv)

    start = host.start_measuring()  # RecognizeFaces' memory, so one thread; times one encoding
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {start.load_before[0]:.2f}")
    print(f"one face encoding before: {encoders.timing_line(start.encoding_before)}")
    pipeline = Pipeline.load()
    guided = Guided(args.grow, args.crop, args.newcomer_side, args.max_tracks)
    print(
        f"guided: a {args.crop} px crop around each face grown by {args.grow} face widths a side (the face "
        f"at {args.crop / (1 + 2 * args.grow):.0f} px), a newcomer pass at {args.newcomer_side} px, detect "
        f"above {args.max_tracks} faces"
    )
    with tempfile.TemporaryDirectory(prefix="guided-") as folder:
        course = {p.stem: p for p in workload.clips(seeding.SAMPLE_VIDEOS)}
        others = {name: cameras.make(name, Path(folder)).path for name in args.cameras}
        others |= classroom_clips(args.classroom, Path(folder))
        clips = course | others
        staged = stages(pipeline, clips, guided, args.repeat)
        compared = compare(pipeline, clips, guided, args.repeat)
        newcomer = newcomers(
            [rgb for clip in clips.values() for rgb in pipeline.all_frames(clip)], (320, 480, 640)
        )
    for line in report(staged, compared, newcomer, list(course), list(others)):
        print(line)
    after = encoders.encode_ms()
    print(f"\none face encoding after: {encoders.timing_line(after)}; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
