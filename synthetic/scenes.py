"""Deterministic test scenes for face detection: classrooms built from real faces, with ground truth.

The faces are head crops from frames of the course's sample clips (the eight known students) and from
the photos in tests/data/faces (alex_lacamoire, kit_harington, rose_leslie: people who are not among
the course's known faces). Each crop is scaled so that its face box (the square box dlib's HOG
detector gives, measured once on the source and written below) gets the width asked for, and pasted
with soft edges on a synthetic room: a wall with a gradient and noise, a board, desks, and decor
(posters, slides, a clock, logos, patches, a printed smiley) for detectors to get wrong.

Everything is numpy and OpenCV, seeded: the same arguments give the same pixels. Sizes are given for
a reference frame (1920x1080, or 1280x360 for the ``pair`` layout) and scaled with the frame, so a
40 px face at 1080p is an 80 px face in a DCI-4K frame and a 27 px face at 720p.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "sample-classroom" / "videos"
PHOTOS = ROOT / "tests" / "data" / "faces"

# Head crop around a face box of width w: the box grown by these fractions of w on each side.
HEAD_SIDE, HEAD_TOP, HEAD_BOTTOM = 0.6, 0.9, 0.6


@dataclass(frozen=True)
class Source:
    """A face in a clip frame or a photo: its dlib HOG box (left, top, width; the box is square)."""

    name: str | None  # the known student's name; None for a person not among the known faces
    path: str  # relative to the repository root
    frame: int  # the frame of a clip; -1 for a photo
    box: tuple[int, int, int]


# dlib HOG boxes (upsample 1), on the frame of each clip whose face is nearest the student's known face.
STUDENTS: tuple[Source, ...] = (
    Source("president_trump", "data/sample-classroom/videos/test_0.mp4", 30, (605, 104, 108)),
    Source("president_biden", "data/sample-classroom/videos/test_1.mp4", 60, (786, 236, 156)),
    Source("mr_bean", "data/sample-classroom/videos/test_2.mp4", 51, (696, 201, 187)),
    Source("johnny_dep", "data/sample-classroom/videos/test_4.mp4", 0, (253, 168, 130)),
    Source("vin_diesel", "data/sample-classroom/videos/test_5.mp4", 99, (669, 348, 322)),
    Source("floki", "data/sample-classroom/videos/test_6.mp4", 51, (538, 192, 224)),
    Source("morgan_freeman", "data/sample-classroom/videos/test_7.mp4", 21, (418, 247, 386)),
    Source("president_obama", "data/sample-classroom/videos/test_8.mp4", 39, (884, 142, 269)),
)

# People who are not in the course's known faces (nearest known face 0.68 to 0.79 away at full size).
UNKNOWNS: tuple[Source, ...] = (
    Source(None, "tests/data/faces/test/alex_lacamoire1.jpg", -1, (633, 206, 322)),
    Source(None, "tests/data/faces/train/alex_lacamoire/img1.jpg", -1, (277, 206, 322)),
    Source(None, "tests/data/faces/test/johnsnow_test1.jpg", -1, (262, 180, 187)),
    Source(None, "tests/data/faces/test/kit_with_rose.jpg", -1, (247, 92, 108)),
    Source(None, "tests/data/faces/test/kit_with_rose.jpg", -1, (79, 130, 76)),
    Source(None, "tests/data/faces/train/kit_harington/john1.jpeg", -1, (683, 110, 130)),
    Source(None, "tests/data/faces/train/kit_harington/john2.jpeg", -1, (283, 98, 187)),
    Source(None, "tests/data/faces/train/rose_leslie/img1.jpg", -1, (617, 112, 268)),
    Source(None, "tests/data/faces/train/rose_leslie/img2.jpg", -1, (171, 171, 268)),
)


@dataclass(frozen=True)
class PastedFace:
    """A face pasted in a scene: who, and its HOG-like box in the frame (top, right, bottom, left)."""

    name: str | None
    box: tuple[int, int, int, int]
    source: str  # file name of the clip or photo it came from

    @property
    def width(self) -> int:
        """The face box's width in frame pixels (the size the layouts speak of)."""
        return self.box[1] - self.box[3]


@dataclass(frozen=True)
class Placement:
    """Where to paste a face: its box's width and centre (x, y) in the frame, mirrored, brightness gain."""

    source: Source
    width: float
    centre: tuple[float, float]
    flip: bool = False
    gain: float = 1.0


@dataclass
class Scene:
    """A frame and the faces pasted in it (its ground truth)."""

    frame: np.ndarray  # BGR, uint8
    faces: list[PastedFace]


@cache
def source_image(path: str, frame: int) -> np.ndarray:
    """The BGR picture a source is on: a photo, or one decoded frame of a clip."""
    if frame < 0:
        image = cv2.imread(str(ROOT / path))
    else:
        capture = cv2.VideoCapture(str(ROOT / path))
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame)
        ok, image = capture.read()
        capture.release()
        image = image if ok else None
    if image is None:
        raise FileNotFoundError(f"{path} (frame {frame})")
    image.setflags(write=False)
    return image


def head_crop(source: Source) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The head around a source's face (clipped to its picture), and the face box (left, top, width) in it."""
    image = source_image(source.path, source.frame)
    left, top, width = source.box
    x0 = max(0, round(left - HEAD_SIDE * width))
    y0 = max(0, round(top - HEAD_TOP * width))
    x1 = min(image.shape[1], round(left + width + HEAD_SIDE * width))
    y1 = min(image.shape[0], round(top + width + HEAD_BOTTOM * width))
    return image[y0:y1, x0:x1], (left - x0, top - y0, width)


def soft_mask(height: int, width: int) -> np.ndarray:
    """An ellipse filling a height x width box, 1 inside and fading to 0 at its edge (float32, HxWx1)."""
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(
        mask, (width // 2, height // 2), (max(1, width // 2 - 1), max(1, height // 2 - 1)), 0, 0, 360, 1, -1
    )
    feather = max(3, (min(height, width) // 6) | 1)
    mask = cv2.GaussianBlur(mask, (feather, feather), 0)
    return np.clip(mask * 1.6 - 0.3, 0.0, 1.0)[:, :, None]


def paste(frame: np.ndarray, placement: Placement) -> PastedFace:
    """Paste ``placement``'s head into ``frame`` (in place, clipped at its edges); the face as pasted."""
    crop, (fx, fy, fw) = head_crop(placement.source)
    scale = placement.width / fw
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    head = cv2.resize(crop, size, interpolation=interpolation).astype(np.float32)
    if placement.flip:
        head = head[:, ::-1]
        fx = crop.shape[1] - fx - fw
    head *= placement.gain
    cx, cy = placement.centre
    left = round(cx - (fx + fw / 2) * scale)
    top = round(cy - (fy + fw / 2) * scale)
    mask = soft_mask(*head.shape[:2])
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(frame.shape[0], top + head.shape[0]), min(frame.shape[1], left + head.shape[1])
    if y1 > y0 and x1 > x0:
        part = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        region = frame[y0:y1, x0:x1].astype(np.float32)
        alpha = mask[part]
        frame[y0:y1, x0:x1] = np.clip(alpha * head[part] + (1 - alpha) * region, 0, 255).astype(np.uint8)
    box_left, box_top = round(left + fx * scale), round(top + fy * scale)
    box_width = round(fw * scale)
    box = (box_top, box_left + box_width, box_top + box_width, box_left)
    return PastedFace(placement.source.name, box, Path(placement.source.path).name)


def _noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Smooth noise in [-1, 1] with about ``cells`` blobs across the longer side (float32, HxW)."""
    step = max(height, width) / cells
    small = rng.uniform(-1, 1, (max(2, round(height / step)) + 1, max(2, round(width / step)) + 1))
    return cv2.resize(small.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)


def room(width: int, height: int, rng: np.random.Generator, decor: bool = True) -> np.ndarray:
    """A classroom without people: wall (gradient, mottling, grain), board, desks; decor if asked."""
    wall = np.array(rng.uniform([150, 165, 175], [205, 215, 225]), np.float32)
    ramp = np.linspace(1.08, 0.82, height, dtype=np.float32)[:, None, None]
    image = wall[None, None, :] * ramp + 14 * _noise(rng, height, width, 6)[:, :, None]
    floor = int(height * rng.uniform(0.72, 0.8))
    wood = np.array(rng.uniform([40, 70, 100], [70, 100, 140]), np.float32)
    grain = 10 * _noise(rng, height - floor, width, 60)[:, :, None]
    image[floor:] = wood * np.linspace(0.9, 1.15, height - floor, dtype=np.float32)[:, None, None] + grain
    frame = np.clip(image, 0, 255).astype(np.uint8)
    u = min(width, height) / 1080  # drawing unit: 1 px at 1080p
    board = (int(width * 0.3), int(height * 0.06), int(width * 0.7), int(height * 0.32))
    cv2.rectangle(frame, board[:2], board[2:], (70, 85, 60), -1)
    cv2.rectangle(frame, board[:2], board[2:], (120, 120, 120), max(1, round(6 * u)))
    for i in range(int(rng.integers(2, 5))):
        org = (board[0] + round(30 * u), board[1] + round((50 + 55 * i) * u))
        text = ["Lecture 7: gradients", "f(x) = x^2 + 1", "due Friday", "Q&A"][i]
        cv2.putText(
            frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 1.3 * u, (225, 230, 225), max(1, round(2 * u))
        )
    for x in np.arange(0.04, 0.96, rng.uniform(0.12, 0.2)):  # the near edge of desk rows
        x0 = int(x * width)
        cv2.rectangle(
            frame, (x0, floor), (x0 + int(0.1 * width), floor + int(0.04 * height)), (35, 55, 85), -1
        )
    grain = rng.normal(0, 3, frame.shape).astype(np.float32)
    frame = np.clip(frame + grain, 0, 255).astype(np.uint8)
    if decor:
        add_decor(frame, rng, count=int(rng.integers(4, 8)))
    return frame


def smiley(frame: np.ndarray, centre: tuple[int, int], radius: int, colour: tuple[int, int, int]) -> None:
    """A printed cartoon smiley: a disc with two dot eyes and an arc for a mouth."""
    thick = max(1, radius // 10)
    cv2.circle(frame, centre, radius, colour, -1, cv2.LINE_AA)
    cv2.circle(frame, centre, radius, (20, 20, 20), thick, cv2.LINE_AA)
    for side in (-1, 1):
        cv2.circle(
            frame,
            (centre[0] + side * radius // 3, centre[1] - radius // 4),
            max(1, radius // 8),
            (20, 20, 20),
            -1,
        )
    cv2.ellipse(
        frame,
        (centre[0], centre[1] + radius // 8),
        (radius // 2, radius // 3),
        0,
        20,
        160,
        (20, 20, 20),
        thick,
    )


def add_decor(frame: np.ndarray, rng: np.random.Generator, count: int) -> None:
    """Draw ``count`` face-free things on ``frame`` (in place): posters, slides, text, logos, a clock,
    skin-coloured patches, checkerboards, a smiley. Sizes scale with the frame."""
    height, width = frame.shape[:2]
    u = min(width, height) / 1080
    kinds = ["poster", "slide", "text", "logo", "clock", "patch", "checker", "smiley", "rings", "window"]
    for kind in rng.choice(kinds, size=count):
        size = int(rng.uniform(60, 260) * u) + 4
        x = int(rng.integers(0, max(1, width - size)))
        y = int(rng.integers(0, max(1, height - size)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        ink, lw = (int(rng.integers(0, 80)),) * 3, max(1, round(2 * u))
        if kind == "poster":
            cv2.rectangle(frame, (x, y), (x + size, y + int(size * 1.4)), colour, -1)
            for _ in range(3):
                c = tuple(int(v) for v in rng.integers(0, 256, 3))
                p = (x + int(rng.integers(0, size)), y + int(rng.integers(0, size)))
                cv2.circle(frame, p, int(size * rng.uniform(0.08, 0.3)), c, -1, cv2.LINE_AA)
            cv2.putText(
                frame, "EXAM", (x + 5, y + int(size * 1.3)), cv2.FONT_HERSHEY_DUPLEX, size / 160, ink, lw
            )
        elif kind == "slide":
            cv2.rectangle(frame, (x, y), (x + int(size * 1.6), y + size), (245, 245, 245), -1)
            cv2.rectangle(frame, (x + 6, y + 6), (x + int(size * 1.6) - 6, y + size // 5), colour, -1)
            for i in range(4):
                yy = y + size // 3 + i * size // 7
                cv2.line(frame, (x + size // 8, yy), (x + int(size * rng.uniform(0.6, 1.4)), yy), ink, lw)
            xs = np.linspace(x + size // 8, x + int(size * 1.4), 12)
            ys = y + size - size // 8 - (xs - xs[0]) ** 1.5 / (xs[-1] - xs[0]) ** 1.5 * size // 3
            cv2.polylines(frame, [np.stack([xs, ys], 1).astype(np.int32)], False, colour, lw)
        elif kind == "text":
            words = ["Welcome", "CS 546", "Cloud Computing", "EXIT", "Lab B-12", "Quiz 3", "(a+b)^2"]
            cv2.putText(
                frame,
                str(rng.choice(words)),
                (x, y + size // 3),
                cv2.FONT_HERSHEY_SIMPLEX,
                size / 110,
                ink,
                lw,
            )
        elif kind == "logo":
            c = (x + size // 2, y + size // 2)
            for i in range(6):  # a peacock-like fan of petals
                angle = 180 + i * 36
                cv2.ellipse(
                    frame,
                    c,
                    (size // 2, size // 7),
                    angle,
                    0,
                    360,
                    tuple(int(v) for v in rng.integers(0, 256, 3)),
                    -1,
                )
            cv2.circle(frame, c, size // 8, (255, 255, 255), -1)
        elif kind == "clock":
            c, r = (x + size // 2, y + size // 2), size // 2
            cv2.circle(frame, c, r, (240, 240, 240), -1, cv2.LINE_AA)
            cv2.circle(frame, c, r, (30, 30, 30), max(1, r // 12), cv2.LINE_AA)
            for a in rng.uniform(0, 2 * np.pi, 2):
                cv2.line(
                    frame,
                    c,
                    (int(c[0] + 0.7 * r * np.cos(a)), int(c[1] + 0.7 * r * np.sin(a))),
                    (20, 20, 20),
                    lw,
                )
        elif kind == "patch":  # skin-toned blobs and ovals with a little texture
            skin = tuple(int(v) for v in rng.uniform([90, 120, 160], [170, 190, 235]))
            cv2.ellipse(
                frame,
                (x + size // 2, y + size // 2),
                (size // 3, size // 2),
                0,
                0,
                360,
                skin,
                -1,
                cv2.LINE_AA,
            )
            cv2.ellipse(
                frame,
                (x + size // 2, y + size // 2 + size // 6),
                (size // 6, size // 14),
                0,
                0,
                360,
                tuple(int(v * 0.7) for v in skin),
                -1,
            )
        elif kind == "checker":
            cells = int(rng.integers(4, 9))
            step = max(1, size // cells)
            for i in range(cells):
                for j in range(cells):
                    if (i + j) % 2:
                        cv2.rectangle(
                            frame,
                            (x + i * step, y + j * step),
                            (x + (i + 1) * step, y + (j + 1) * step),
                            ink,
                            -1,
                        )
        elif kind == "smiley":
            smiley(frame, (x + size // 2, y + size // 2), size // 2, (40, 210, 240))
        elif kind == "rings":  # a target / olympic-like logo
            for i in range(3):
                cv2.circle(
                    frame,
                    (x + size // 4 + i * size // 4, y + size // 2),
                    size // 5,
                    colour,
                    max(1, size // 20),
                )
        elif kind == "window":
            cv2.rectangle(frame, (x, y), (x + size, y + int(size * 1.2)), (235, 225, 200), -1)
            for yy in range(y, y + int(size * 1.2), max(3, size // 12)):
                cv2.line(frame, (x, yy), (x + size, yy), (150, 150, 140), max(1, size // 60))


def _reference(layout: str) -> tuple[int, int]:
    return (1280, 360) if layout == "pair" else (1920, 1080)


def _row(
    rng: np.random.Generator,
    sources: Sequence[Source],
    widths: Sequence[float],
    y: float,
    span: float,
    scale: float,
    flip: bool = False,
) -> list[Placement]:
    """Faces across one row of a frame ``span`` px wide, in order, with a little random spacing."""
    step = span / len(widths)
    row = []
    for i, (source, w) in enumerate(zip(sources, widths, strict=True)):
        x = (i + 0.5) * step + rng.uniform(-0.12, 0.12) * max(0.0, step - w * (1 + 2 * HEAD_SIDE))
        gain = float(rng.uniform(0.8, 1.15)) if flip else 1.0
        mirrored = bool(flip and rng.random() < 0.5)
        row.append(Placement(source, w * scale, (x * scale, y * scale), mirrored, gain))
    return row


def placements(width: int, height: int, layout: str, seed: int) -> list[Placement]:
    """The faces of a layout (see ``LAYOUTS``) in a ``width`` x ``height`` frame."""
    rng = np.random.default_rng(seed)
    ref_w, ref_h = _reference(layout)
    scale = min(width / ref_w, height / ref_h)
    span = width / scale  # the frame's width in reference pixels
    if layout == "students":  # back row 40-60 px, front row 100-230 px, students shuffled
        order = [STUDENTS[i] for i in rng.permutation(len(STUDENTS))]
        back = _row(rng, order[:4], [40, 46, 52, 60], 300, span, scale)
        front = _row(rng, order[4:], [100, 140, 180, 230], 700, span, scale)
        return back + front
    if layout == "pair":  # a 50 px face beside an 85 px face (in a 1280x360 frame)
        pick = rng.choice(len(STUDENTS), 2, replace=False)
        return _row(rng, [STUDENTS[pick[0]], STUDENTS[pick[1]]], [50, 85], 190, span, scale)
    if layout in ("unknowns", "class"):  # rows from the back (small) to the front (large)
        rows = [(44, 19, 180), (52, 16, 330), (64, 13, 500), (80, 10, 690), (100, 8, 910)]
        if layout == "unknowns":
            rows = [(48, 4, 300), (70, 4, 560), (110, 4, 860)]
        result: list[Placement] = []
        for w, n, y in rows:
            n = min(n, int(span // (w * (1 + 2 * HEAD_SIDE) * 1.02)))
            sources = [UNKNOWNS[int(i)] for i in rng.integers(0, len(UNKNOWNS), n)]
            widths = [w * rng.uniform(0.95, 1.05) for _ in range(n)]
            result += _row(rng, sources, widths, y, span, scale, flip=True)
        return result
    if layout == "closeup":  # one student (from a source face >= 180 px) filling 45-95 % of the height
        sharp = [s for s in STUDENTS if s.box[2] >= 180]
        source = sharp[int(rng.integers(len(sharp)))]
        w = height * rng.uniform(0.45, 0.95)
        return [Placement(source, w, (width / 2 + rng.uniform(-0.1, 0.1) * width, height * 0.5))]
    if layout == "empty":
        return []
    raise ValueError(f"unknown layout {layout!r}; one of {sorted(LAYOUTS)}")


LAYOUTS = {
    "students": "the eight students, a back row 40-60 px wide and a front row 100-230 px (at 1080p)",
    "pair": "two students, 50 px beside 85 px (at 1280x360)",
    "unknowns": "12 people not in the known faces, 48 to 110 px (at 1080p)",
    "class": "a class of 60 or more unknown people (mirrored, lighter or darker), 44 to 100 px (at 1080p)",
    "closeup": "one student whose face is 45-95 % of the frame's height",
    "empty": "no one: extra posters, slides, logos, patches and a smiley",
}


def compose(width: int, height: int, faces: Sequence[Placement], seed: int, decor: int = 0) -> Scene:
    """A room ``width`` x ``height`` with ``faces`` pasted (in order) and ``decor`` extra decor items."""
    rng = np.random.default_rng(seed)
    frame = room(width, height, rng)
    if decor:
        add_decor(frame, rng, decor)
    return Scene(frame, [paste(frame, p) for p in faces])


def classroom_frame(width: int, height: int, layout: str, seed: int = 0) -> Scene:
    """A classroom frame of ``layout`` (a key of ``LAYOUTS``), with the faces pasted in it."""
    faces = placements(width, height, layout, seed)
    return compose(width, height, faces, seed, decor=12 if layout == "empty" else 0)


def sway(index: int, shift: float = 3.0) -> tuple[float, float]:
    """How far (dx, dy, at most ``shift`` px) ``jitter`` moves frame ``index``: a face boxed at (top,
    right, bottom, left) in the still is at that box moved by (dx, dy) there."""
    return shift * float(np.sin(index / 3)), shift * float(np.sin(index / 4 + 1))


def moved(face: PastedFace, index: int, shift: float = 3.0) -> PastedFace:
    """``face`` as it is in frame ``index`` of ``jitter``'s frames."""
    dx, dy = (round(v) for v in sway(index, shift))
    top, right, bottom, left = face.box
    return PastedFace(face.name, (top + dy, right + dx, bottom + dy, left + dx), face.source)


def jitter(frame: np.ndarray, count: int, seed: int = 0, shift: float = 3.0) -> list[np.ndarray]:
    """``count`` frames of a still ``frame`` as a camera would give them: a sway of up to ``shift`` px
    (``sway``), a little flicker in brightness and sensor noise."""
    rng = np.random.default_rng(seed)
    height, width = frame.shape[:2]
    frames = []
    for i in range(count):
        dx, dy = (round(v) for v in sway(i, shift))
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        shifted = cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
        noisy = shifted.astype(np.float32) * rng.uniform(0.97, 1.03) + rng.normal(0, 2, shifted.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return frames
