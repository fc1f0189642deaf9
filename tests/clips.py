"""Make small test videos with OpenCV (mp4v: the codec OpenCV can write here)."""

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


def blank(width: int, height: int, count: int, value: int = 0) -> list[np.ndarray]:
    return [np.full((height, width, 3), value, np.uint8) for _ in range(count)]
