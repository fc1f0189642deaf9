"""Classroom videos as real cameras give them: the scenes of ``synthetic/scenes.py`` (the course's eight
students and strangers from tests/data/faces, pasted into a room) seen from a ceiling, in a dim room,
through a shaking phone, with tilted heads, a hand or a book over a face, and in a class of 32, each
video passed through x264 at a camera's bitrate, with B-frames and a long GOP.

Bitrate: a camera's bitrate is spent at the camera's frame rate (25 fps for a wall or ceiling IP camera,
30 for a phone), and these videos hold only ``FPS`` frames a second (the pipeline samples 7 frames of a
clip). So each is encoded with the bits *per frame* its camera has: ``kbps * FPS / camera fps``, and a
rate buffer of one second of the camera's stream (room for a keyframe as big as the camera's). An 8 s
video at 5 fps and 1.5 Mbit/s is thus 300 kbit/s: the compression of a 1.5 Mbit/s camera, not a
7.5 Mbit/s one.

People sit still apart from a small sway of their own; every face stays visible to a person. Everything
is seeded: the same condition gives the same pixels and the same bytes (x264 on one thread).
"""

import math
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from synthetic.scenes import HEAD_SIDE, STUDENTS, UNKNOWNS, PastedFace, Source, head_crop, room, soft_mask

FPS = 5  # frames a second in the videos: a few are enough, the pipeline samples 7 of a clip
SECONDS = 8
GOP, B_FRAMES = 250, 3  # a camera's keyframe interval and B-frames
PRESET = "veryfast"  # near what a camera's hardware encoder achieves, and quick to make


@dataclass(frozen=True)
class Camera:
    """How a condition is recorded: frame size, and x264's bitrate at the camera's own frame rate."""

    width: int
    height: int
    kbps: int
    fps: int = 25

    @property
    def kbps_here(self) -> int:
        """The bitrate of a video at ``FPS`` with the camera's bits per frame."""
        return round(self.kbps * FPS / self.fps)


@dataclass(frozen=True)
class Seat:
    """A person in the room: who, their face box's width and centre in the frame, and how they look."""

    source: Source
    width: float
    centre: tuple[float, float]
    flip: bool = False
    gain: float = 1.0
    roll: float = 0.0  # degrees: the head tilted in the picture's plane
    squash: float = 1.0  # the head's height scaled: < 1 seen from above
    narrow: float = 1.0  # the chin's width against the forehead's: < 1 seen from above
    cover: str | None = None  # "hand" or "book" over the mouth and chin


@dataclass(frozen=True)
class Condition:
    """One real-camera case: its camera, its people and what happens to the picture."""

    name: str
    description: str
    camera: Camera
    seed: int
    rows: tuple[tuple[float, float, int], ...]  # (y as a fraction of the height, face width px, people)
    strangers: int  # how many of the seats are people who are not students
    span: float = 0.92  # the fraction of the width the rows spread over
    ceiling: bool = False
    dim: bool = False
    phone: bool = False
    roll: tuple[float, float] = (0.0, 0.0)  # heads tilted by this many degrees (either way)
    covers: tuple[str, ...] = ()  # covers over students' faces, one student each


@dataclass
class Video:
    """A made video and its ground truth: who is in it, and every face's box in every frame."""

    condition: Condition
    path: Path
    students: list[str]  # the students in it, sorted
    strangers: int  # people in it who are not students
    faces: list[list[PastedFace]] = field(repr=False)  # per frame index: each face as seen

    @property
    def frames(self) -> int:
        return len(self.faces)


# Rows from the back (small faces) to the front, at 1080p unless the camera says otherwise.
CLASS_ROWS = ((0.30, 64, 5), (0.52, 92, 4), (0.80, 140, 3))
CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition(
            "ceiling",
            "ceiling camera, heads seen from above, 1080p at 1.5 Mbit/s",
            Camera(1920, 1080, 1500),
            seed=101,
            rows=CLASS_ROWS,
            strangers=4,
            span=0.8,
            ceiling=True,
        ),
        Condition(
            "dim",
            "dim room (35 % light, gamma, sensor noise), 1080p at 2 Mbit/s",
            Camera(1920, 1080, 2000),
            seed=102,
            rows=CLASS_ROWS,
            strangers=4,
            dim=True,
        ),
        Condition(
            "phone",
            "hand-held phone, shake and motion blur, 720p at 1.2 Mbit/s",
            Camera(1280, 720, 1200, fps=30),
            seed=103,
            rows=((0.30, 52, 5), (0.52, 72, 4), (0.80, 104, 3)),
            strangers=4,
            phone=True,
        ),
        Condition(
            "tilted",
            "heads tilted 10-25 degrees, 1080p at 2.5 Mbit/s",
            Camera(1920, 1080, 2500),
            seed=104,
            rows=CLASS_ROWS,
            strangers=4,
            roll=(10.0, 25.0),
        ),
        Condition(
            "covered",
            "a hand over one student's mouth and chin, a book over another's, 1080p at 2 Mbit/s",
            Camera(1920, 1080, 2000),
            seed=105,
            rows=CLASS_ROWS,
            strangers=4,
            covers=("hand", "book"),
        ),
        Condition(
            "class-of-32",
            "a class of 32: the 8 students among 24 strangers, 1080p at 3 Mbit/s",
            Camera(1920, 1080, 3000),
            seed=106,
            rows=((0.26, 60, 8), (0.44, 72, 8), (0.64, 88, 8), (0.86, 108, 8)),
            strangers=24,
        ),
    )
}


# --- who sits where -------------------------------------------------------------------------------


def seats(condition: Condition, rng: np.random.Generator) -> list[Seat]:
    """The condition's people in rows, the eight students spread over every row, back row first."""
    total = sum(n for _, _, n in condition.rows)
    assert total == len(STUDENTS) + condition.strangers, condition.name
    strangers = [UNKNOWNS[int(i)] for i in rng.integers(0, len(UNKNOWNS), condition.strangers)]
    students = [STUDENTS[int(i)] for i in rng.permutation(len(STUDENTS))]
    # Each row gets its share of the students (rounded, back rows first), shuffled among its strangers.
    people: list[list[Source]] = []
    placed = 0
    for r, (_, _, n) in enumerate(condition.rows):
        share = round(len(STUDENTS) * sum(m for *_, m in condition.rows[: r + 1]) / total) - placed
        row = students[placed : placed + share] + [strangers.pop() for _ in range(n - share)]
        placed += share
        people.append([row[int(i)] for i in rng.permutation(len(row))])
    width, height = condition.camera.width, condition.camera.height
    result = []
    for (y, face, _), row in zip(condition.rows, people, strict=True):
        step = width * condition.span / len(row)
        x0 = width * (1 - condition.span) / 2
        for i, source in enumerate(row):
            w = face * rng.uniform(0.94, 1.06)
            room_left = max(0.0, step - w * (1 + 2 * HEAD_SIDE))
            x = x0 + (i + 0.5) * step + rng.uniform(-0.15, 0.15) * room_left
            stranger = source.name is None
            seat = Seat(
                source,
                w,
                (x, y * height + rng.uniform(-0.1, 0.1) * w),
                flip=bool(stranger and rng.random() < 0.5),
                gain=float(rng.uniform(0.85, 1.1)) if stranger else 1.0,
            )
            if condition.ceiling:  # the nearer the camera (the front), the steeper the view
                steep = (y - 0.2) / 0.7
                seat = replace(seat, squash=0.86 - 0.12 * steep, narrow=0.9 - 0.06 * steep)
            if condition.roll != (0.0, 0.0):
                seat = replace(seat, roll=float(rng.uniform(*condition.roll) * rng.choice([-1, 1])))
            result.append(seat)
    # Covers go to students of the middle and front rows, one each.
    covered = [i for i, s in enumerate(result) if s.source.name and s.centre[1] > 0.45 * height]
    for cover, i in zip(condition.covers, rng.permutation(covered), strict=False):
        result[i] = replace(result[i], cover=cover)
    return result


# --- one person's head, posed -------------------------------------------------------------------


@dataclass(frozen=True)
class Sprite:
    """A posed head ready to paste: colour (uint8) and alpha and its complement (float32), cropped to
    where alpha is not zero; its face's centre and size in it."""

    colour: np.ndarray
    alpha: np.ndarray
    rest: np.ndarray  # 1 - alpha
    centre: tuple[float, float]
    size: tuple[float, float]  # the face box's width and height after the pose


def _hand(canvas: np.ndarray, mask: np.ndarray, box: tuple[float, float, float], skin: np.ndarray) -> None:
    """A hand over the mouth and chin: a palm on the mouth, fingers across the cheek, the wrist below."""
    left, top, s = box

    def p(x: float, y: float) -> tuple[int, int]:
        return round(left + x * s), round(top + y * s)

    shade = tuple(float(c) * 0.8 for c in skin)
    colour = tuple(float(c) for c in skin)
    for target, value in ((canvas, colour), (mask, (1.0,))):
        cv2.line(target, p(0.35, 1.0), p(0.2, 1.9), value, max(1, round(0.34 * s)), cv2.LINE_AA)
        cv2.ellipse(
            target, p(0.42, 0.9), (round(0.3 * s), round(0.24 * s)), -15, 0, 360, value, -1, cv2.LINE_AA
        )
        for i in range(4):
            y = 0.7 + 0.085 * i
            cv2.line(
                target, p(0.45, y + 0.02), p(0.98 - 0.05 * abs(i - 1.2), y), value, max(1, round(0.085 * s))
            )
    for i in range(1, 4):  # the shadows between the fingers
        y = 0.7 + 0.085 * i - 0.042
        cv2.line(canvas, p(0.55, y + 0.01), p(0.92 - 0.05 * abs(i - 1.2), y), shade, max(1, round(0.02 * s)))


def _book(canvas: np.ndarray, mask: np.ndarray, box: tuple[float, float, float], colour: np.ndarray) -> None:
    """A book held up to the chin, its top edge just under the nose."""
    left, top, s = box
    centre = (left + 0.5 * s, top + 1.25 * s)
    corners = cv2.boxPoints((centre, (1.5 * s, 1.1 * s), -8.0)).astype(np.int32)
    cover = tuple(float(c) for c in colour)
    cv2.fillConvexPoly(canvas, corners, cover, cv2.LINE_AA)
    cv2.fillConvexPoly(mask, corners, (1.0,), cv2.LINE_AA)
    top_edge = corners[np.argsort(corners[:, 1])[:2]]
    cv2.line(canvas, tuple(top_edge[0]), tuple(top_edge[1]), (235.0, 235.0, 230.0), max(1, round(0.05 * s)))
    for k in (0.3, 0.45):  # a title
        y = round(top + (0.75 + k) * s)
        cv2.line(
            canvas,
            (round(left + 0.2 * s), y),
            (round(left + 0.8 * s), y),
            (240.0,) * 3,
            max(1, round(0.04 * s)),
        )


def sprite(seat: Seat, rng: np.random.Generator) -> Sprite:
    """The seat's head, scaled to its face width, mirrored and lit as asked, covered, then posed
    (seen from above: shorter and narrower at the chin; rolled) about its face's centre."""
    crop, (fx, fy, fw) = head_crop(seat.source)
    scale = seat.width / fw
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    head = cv2.resize(crop, size, interpolation=interpolation).astype(np.float32) * seat.gain
    if seat.flip:
        head = head[:, ::-1]
        fx = crop.shape[1] - fx - fw
    h, w = head.shape[:2]
    pad = round(0.45 * max(h, w))
    colour = np.zeros((h + 2 * pad, w + 2 * pad, 3), np.float32)
    alpha = np.zeros(colour.shape[:2], np.float32)
    colour[pad : pad + h, pad : pad + w] = head
    alpha[pad : pad + h, pad : pad + w] = soft_mask(h, w)[:, :, 0]
    box = (pad + fx * scale, pad + fy * scale, fw * scale)  # left, top, width of the face box
    if seat.cover:
        cover = np.zeros_like(alpha)
        if seat.cover == "hand":
            x, y, s = round(box[0]) - pad, round(box[1]) - pad, round(box[2])  # the face box in ``head``
            skin = head[y + s // 3 : y + 2 * s // 3, x + s // 4 : x + 3 * s // 4]
            _hand(colour, cover, box, skin.reshape(-1, 3).mean(axis=0) * 0.95)
        else:
            _book(colour, cover, box, rng.uniform([40, 30, 90], [120, 140, 220]))
        alpha = np.maximum(alpha, cv2.GaussianBlur(cover, (3, 3), 0))
    cx, cy = box[0] + box[2] / 2, box[1] + box[2] / 2
    # Seen from above: the head's rows pulled towards the face's centre, the lower ones narrower.
    top, bottom, half = pad - cy, pad + h - cy, w / 2
    src = np.float32([[-half, top], [half, top], [half, bottom], [-half, bottom]])
    k_top = 1.0
    k_bottom = seat.narrow
    dst = np.float32(
        [
            [-half * k_top, top * seat.squash],
            [half * k_top, top * seat.squash],
            [half * k_bottom, bottom * seat.squash],
            [-half * k_bottom, bottom * seat.squash],
        ]
    )
    pose = cv2.getPerspectiveTransform(src, dst)
    turn = np.eye(3)
    turn[:2] = cv2.getRotationMatrix2D((0.0, 0.0), seat.roll, 1.0)
    to_centre = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], np.float64)
    back = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], np.float64)
    matrix = back @ turn @ pose @ to_centre
    shape = (colour.shape[1], colour.shape[0])
    colour = cv2.warpPerspective(colour, matrix, shape, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(alpha, matrix, shape, flags=cv2.INTER_LINEAR)
    x, y, w, h = cv2.boundingRect((alpha > 1e-3).astype(np.uint8))
    colour = np.clip(colour[y : y + h, x : x + w], 0, 255).astype(np.uint8)
    alpha = np.ascontiguousarray(alpha[y : y + h, x : x + w])
    return Sprite(colour, alpha, 1 - alpha, (cx - x, cy - y), (box[2], box[2] * seat.squash))


def blend(frame: np.ndarray, piece: Sprite, centre: tuple[float, float]) -> None:
    """Paste ``piece`` on ``frame`` (uint8, in place) with its face's centre at ``centre``."""
    left = round(centre[0] - piece.centre[0])
    top = round(centre[1] - piece.centre[1])
    h, w = piece.alpha.shape[:2]
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(frame.shape[0], top + h), min(frame.shape[1], left + w)
    if y1 <= y0 or x1 <= x0:
        return
    part = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    region = np.ascontiguousarray(frame[y0:y1, x0:x1])
    frame[y0:y1, x0:x1] = cv2.blendLinear(piece.colour[part], region, piece.alpha[part], piece.rest[part])


# --- the camera ---------------------------------------------------------------------------------


def sway(rng: np.random.Generator, count: int, amplitude: float) -> np.ndarray:
    """A person's small sway over ``count`` frames: (count, 2) offsets of at most about ``amplitude``."""
    t = np.arange(count) / FPS
    frequency = rng.uniform(0.15, 0.45, 2)
    phase = rng.uniform(0, 2 * np.pi, 2)
    return amplitude * np.sin(2 * np.pi * frequency[None, :] * t[:, None] + phase[None, :])


def dim_light(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """How much light reaches each pixel (HxWx3, float32): about 35 % on average, a lamp on one side,
    the other front corner darkest."""
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    side = 1 - x if rng.random() < 0.5 else x
    light = 0.5 - 0.22 * side - 0.06 * y + 0.03 * np.cos(np.pi * (y - 0.3))
    return np.repeat(light[:, :, None], 3, axis=2)


class Noise:
    """Sensor noise, fresh in every frame and cheap: the sum of windows, at random places, of two fields
    of Gaussian noise drawn once (no shift of one window matches the next frame's noise)."""

    SLACK = 64

    def __init__(self, rng: np.random.Generator, width: int, height: int, luma: float, chroma: float) -> None:
        self.rng, self.width, self.height = rng, width, height
        shape = (height + self.SLACK, width + self.SLACK)
        self.fields = []
        for _ in range(2):
            grey = rng.normal(0, luma / math.sqrt(2), shape).astype(np.float32)
            colour = rng.normal(0, chroma / math.sqrt(2), (*shape, 3)).astype(np.float32)
            self.fields.append(np.rint(grey[:, :, None] + colour).astype(np.int16))

    def next(self) -> np.ndarray:
        """This frame's noise (HxWx3, int16)."""
        windows = []
        for noise in self.fields:
            y, x = (int(v) for v in self.rng.integers(0, self.SLACK, 2))
            windows.append(np.ascontiguousarray(noise[y : y + self.height, x : x + self.width]))
        return cv2.add(*windows)


def keystone(width: int, height: int, spread: float = 0.08) -> np.ndarray:
    """A camera tilted down: vertical lines converge towards the bottom (the top edge spread wider)."""
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dst = np.float32([[-spread * width, 0], [(1 + spread) * width, 0], [width, height], [0, height]])
    return cv2.getPerspectiveTransform(src, dst)


EXPOSURE = 1 / 30  # seconds: a phone's shutter indoors, at most a frame of its 30 fps


def shake(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A hand-held phone: (count, 2) offsets of tens of px (drift and jolts), (count,) roll degrees, and
    (count, 2) the smear during each exposure (the drift's speed over ``EXPOSURE``, and a hand's tremor
    of 8-12 Hz, a few px)."""
    steps = rng.normal(0, 9, (count, 2))
    walk = np.cumsum(steps, axis=0)
    walk -= np.linspace(0, 1, count)[:, None] * walk[-1]  # back near where it started
    offsets = np.clip(walk + rng.normal(0, 5, (count, 2)), -40, 40)
    speed = np.gradient(offsets, axis=0) * FPS  # px a second
    smear = speed * EXPOSURE + rng.normal(0, 2.5, (count, 2))
    return offsets, rng.normal(0, 0.8, count), smear


def motion_blur(frame: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``frame`` smeared along (dx, dy) px: the phone's movement during the exposure."""
    length = math.hypot(dx, dy)
    if length < 1.5:
        return frame
    size = math.ceil(length) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    end = (round(c + dx / 2), round(c + dy / 2))
    start = (round(c - dx / 2), round(c - dy / 2))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return cv2.filter2D(frame, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def _moved(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(n, 2) points through a 3x3 homography."""
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix).reshape(-1, 2)


def frames(condition: Condition) -> tuple[list[np.ndarray], list[list[PastedFace]], list[Seat]]:
    """The condition's frames (BGR, uint8) before encoding, each face's box in each, and the seats."""
    rng = np.random.default_rng(condition.seed)
    camera = condition.camera
    count = FPS * SECONDS
    margin = 48 if condition.phone else 0  # the phone frames a shifting window of a larger picture
    width, height = camera.width + 2 * margin, camera.height + 2 * margin
    background = room(width, height, rng)
    people = seats(condition, rng)
    people = [replace(s, centre=(s.centre[0] + margin, s.centre[1] + margin)) for s in people]
    people.sort(key=lambda s: s.centre[1])  # the back rows first: nearer heads cover them
    sprites = [sprite(s, rng) for s in people]
    sways = [sway(rng, count, max(1.5, 0.05 * s.width)) for s in people]
    if condition.dim:  # the camera's gamma (a table), then the room's light through it
        gamma = 1.15
        table = np.clip(255.0 * (np.arange(256) / 255.0) ** gamma, 0, 255).astype(np.uint8)
        light = np.power(dim_light(camera.width, camera.height, rng), gamma)
        noise = Noise(rng, camera.width, camera.height, luma=5.0, chroma=3.0)  # a dark sensor's gain
    else:
        noise = Noise(rng, camera.width, camera.height, luma=2.0, chroma=1.0)
    tilt = keystone(camera.width, camera.height) if condition.ceiling else None
    still = (np.zeros((count, 2)), np.zeros(count), np.zeros((count, 2)))
    offsets, rolls, smears = shake(rng, count) if condition.phone else still
    made, boxes = [], []
    for t in range(count):
        frame = background.copy()
        centres = np.array(
            [(s.centre[0] + d[t, 0], s.centre[1] + d[t, 1]) for s, d in zip(people, sways, strict=True)]
        )
        for piece, centre in zip(sprites, centres, strict=True):
            blend(frame, piece, (float(centre[0]), float(centre[1])))
        matrix = np.eye(3)
        if condition.phone:
            dx, dy = offsets[t]
            view = cv2.getRotationMatrix2D((width / 2, height / 2), float(rolls[t]), 1.0)
            view[:, 2] += (-margin - dx, -margin - dy)
            frame = cv2.warpAffine(frame, view, (camera.width, camera.height), flags=cv2.INTER_LINEAR)
            matrix = np.vstack([view, [0, 0, 1]])
            frame = motion_blur(frame, *smears[t])
        if tilt is not None:
            frame = cv2.warpPerspective(frame, tilt, (camera.width, camera.height), flags=cv2.INTER_LINEAR)
            matrix = tilt @ matrix
        frame = cv2.convertScaleAbs(frame, alpha=float(rng.uniform(0.98, 1.02)))  # flicker
        if condition.dim:
            frame = cv2.multiply(cv2.LUT(frame, table), light, dtype=cv2.CV_8U)
        made.append(cv2.add(frame, noise.next(), dtype=cv2.CV_8U))
        boxes.append(_faces(people, sprites, centres, matrix, camera))
    return made, boxes, people


def _faces(
    people: Sequence[Seat], sprites: Sequence[Sprite], centres: np.ndarray, matrix: np.ndarray, camera: Camera
) -> list[PastedFace]:
    """Each person's face box in the frame as the camera gives it (the centre moved by ``matrix``)."""
    moved = _moved(centres, matrix)
    scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))
    faces = []
    for seat, piece, (x, y) in zip(people, sprites, moved, strict=True):
        w, h = piece.size[0] * scale, piece.size[1] * scale
        if not (0 <= x < camera.width and 0 <= y < camera.height):
            continue
        box = (round(y - h / 2), round(x + w / 2), round(y + h / 2), round(x - w / 2))
        faces.append(PastedFace(seat.source.name, box, Path(seat.source.path).name))
    return faces


def encode(path: Path, pictures: Sequence[np.ndarray], camera: Camera) -> Path:
    """Write ``pictures`` as H.264 in an MP4, as ``camera`` would (constant bitrate per frame, B-frames,
    one keyframe every ``GOP`` frames, no keyframe at scene cuts), with the imageio-ffmpeg wheel's ffmpeg."""
    import imageio_ffmpeg

    height, width = pictures[0].shape[:2]
    kbps = camera.kbps_here
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo"]
    command += ["-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(FPS), "-i", "-"]
    command += ["-c:v", "libx264", "-preset", PRESET, "-pix_fmt", "yuv420p"]
    command += ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{camera.kbps}k"]
    # One thread: x264's frame threads under a rate buffer give other bytes from run to run.
    command += ["-g", str(GOP), "-bf", str(B_FRAMES), "-sc_threshold", "0", "-threads", "1"]
    command += ["-movflags", "+faststart", str(path)]
    raw = b"".join(p.tobytes() for p in pictures)
    subprocess.run(command, input=raw, check=True)  # noqa: S603 (the wheel's ffmpeg, our arguments)
    return path


def make(name: str, folder: Path) -> Video:
    """The condition ``name`` (a key of ``CONDITIONS``) as ``folder``/<name>.mp4, with its ground truth."""
    return made(CONDITIONS[name], folder)


def made(condition: Condition, folder: Path) -> Video:
    """``condition`` (its seed draws the people, seats, light and shake) as ``folder``/<name>.mp4."""
    name = condition.name
    pictures, faces, people = frames(condition)
    path = encode(folder / f"{name}.mp4", pictures, condition.camera)
    students = sorted(s.source.name for s in people if s.source.name)
    return Video(condition, path, students, len(people) - len(students), faces)


def make_all(folder: Path, names: Sequence[str] | None = None) -> dict[str, Video]:
    """Every condition (or those ``names``) made in ``folder``."""
    return {name: make(name, folder) for name in names or CONDITIONS}
