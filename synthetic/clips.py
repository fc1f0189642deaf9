"""Make small test videos: with OpenCV (mp4v: the codec OpenCV can write here), or as a camera would
(H.264, HEVC, with B-frames) with the ffmpeg binary of the imageio-ffmpeg wheel."""

import subprocess
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float = 10.0) -> Path:
    """Write BGR ``frames`` (all the same size) as an MP4 at ``path``."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def write_encoded(
    path: Path, frames: Iterable[np.ndarray], fps: float = 30.0, codec: str = "libx264"
) -> Path:
    """Write BGR ``frames`` with ffmpeg's ``codec`` (``libx264``, ``libx265``) at its defaults, B-frames
    included, into the container ``path``'s suffix names (.mp4, .mkv)."""
    import imageio_ffmpeg

    frames = list(frames)
    height, width = frames[0].shape[:2]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo"]
    command += ["-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-"]
    command += ["-c:v", codec, "-pix_fmt", "yuv420p"]
    if codec == "libx265":
        command += ["-x265-params", "log-level=error"]
    raw = b"".join(f.tobytes() for f in frames)
    subprocess.run([*command, str(path)], input=raw, check=True)  # noqa: S603 (the wheel's ffmpeg)
    return path


def blank(width: int, height: int, count: int, value: int = 0) -> list[np.ndarray]:
    return [np.full((height, width, 3), value, np.uint8) for _ in range(count)]


LECTURE_SIZE = (1280, 720)


def still(video: Path, index: int, size: tuple[int, int] = LECTURE_SIZE) -> np.ndarray:
    """Frame ``index`` of ``video``, resized to ``size``."""
    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = capture.read()
    capture.release()
    assert ok, f"{video} has no frame {index}"
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The middle halves of two frames (where the sample clips' faces are), beside each other, at full
    size: two people in one frame of the same size."""
    width = left.shape[1]
    middle = slice(width // 4, width // 4 + width // 2)
    return np.concatenate([left[:, middle], right[:, middle]], axis=1)


def write_lecture(
    path: Path,
    minutes: int,
    people: list[tuple[np.ndarray, float, float]],
    fps: float = 1.0,
    size: tuple[int, int] = LECTURE_SIZE,
) -> Path:
    """A lecture of ``minutes`` at ``fps``: an empty room, and each ``(frame, from, to)`` of ``people``
    present from ``from`` to ``to`` seconds (two present at once are shown side by side). Written one
    frame at a time (bounded memory), deterministically."""
    width, height = size
    empty = np.full((height, width, 3), (96, 112, 124), np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    cache: dict[tuple[int, ...], np.ndarray] = {}
    for n in range(int(minutes * 60 * fps)):
        t = n / fps
        present = tuple(i for i, (_, start, end) in enumerate(people) if start <= t < end)
        if present not in cache:
            frames = [people[i][0] for i in present]
            cache[present] = (
                empty if not frames else frames[0] if len(frames) == 1 else side_by_side(frames[0], frames[1])
            )
        writer.write(cache[present])
    writer.release()
    return path
