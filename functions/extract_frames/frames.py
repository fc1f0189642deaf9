"""Sample frames across a video with OpenCV, decoding no further than the last frame asked for."""

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from classroom_common.errors import InvalidVideo, VideoTooLarge
from classroom_common.models import AGREEING_FRAMES

# The first batch: the fewest frames that can settle the answer, and the earliest samples. Decoding runs
# on from the keyframe before a frame, and a phone's clip of a few seconds is one keyframe and the
# frames predicted from it, so the samples at 1/14 and 3/14 of the clip cost less than half of what
# the middle one alone does (README: Performance).
FIRST_BATCH = AGREEING_FRAMES
SEEK_GAP = 250  # frames; a typical H.264 keyframe interval: shorter gaps are cheaper to decode through
# Frames are stored no larger than this (longest side): an 8K frame is halved, so what recognition
# reads, detects on and keeps in memory is bounded whatever the camera, while a face of 40 px at
# 1080p (the smallest the detector is asked to find) is still 80 px in the stored frame.
MAX_FRAME_SIDE = 4096


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 3 * 3600.0
    max_pixels: int = 7680 * 4320


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def sample_indices(frame_count: int, samples: int) -> list[int]:
    """Frame indices at the centres of ``samples`` equal slices of the clip, earliest first: the order
    they are decoded and looked at in."""
    samples = max(1, min(samples, frame_count))
    return sorted({int((i + 0.5) * frame_count / samples) for i in range(samples)})


def probe(capture: cv2.VideoCapture) -> VideoInfo:
    return VideoInfo(
        fps=float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
        frame_count=int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
        width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
    )


def check_limits(info: VideoInfo, limits: Limits) -> None:
    if info.width * info.height > limits.max_pixels:
        raise VideoTooLarge(
            f"{info.width}x{info.height} is above the limit of {limits.max_pixels} pixels per frame"
        )
    if info.duration > limits.max_seconds:
        raise VideoTooLarge(f"{info.duration:.0f} s is above the limit of {limits.max_seconds:.0f} s")


def read_frames(
    capture: cv2.VideoCapture, indices: list[int], seek_gap: int = SEEK_GAP
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, BGR frame)`` for each wanted index, in order.

    Short gaps are grabbed through (decoded, not converted); a long gap is jumped with a seek, which
    decodes from the keyframe before the target only, so a long video costs per sample, not per frame.
    """
    position = 0  # index of the next frame grab() returns
    for index in sorted(set(indices)):
        if index - position > seek_gap:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            position = index
        while position < index:
            if not capture.grab():
                return
            position += 1
        ok, frame = capture.read()
        position += 1
        if not ok or frame is None:
            return
        yield index, frame


@contextmanager
def opened(source: Path | io.BufferedIOBase, limits: Limits) -> Iterator[tuple[cv2.VideoCapture, VideoInfo]]:
    """The video (a file, or a seekable stream such as ``ranged.RangedObject``), open for decoding with
    one thread, and its checked metadata.

    One decoder thread: a Lambda below 1769 MB has less than one vCPU, where more threads only add
    work (about 10 % more CPU for the same frames here).
    """
    params = [cv2.CAP_PROP_N_THREADS, 1]
    if isinstance(source, io.IOBase):
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
    else:
        capture = cv2.VideoCapture(str(source), cv2.CAP_ANY, params)
    try:
        if not capture.isOpened():
            raise InvalidVideo("OpenCV cannot open it as a video (empty, truncated or not an MP4)")
        info = probe(capture)
        if info.frame_count <= 0 or info.width <= 0 or info.height <= 0:
            raise InvalidVideo("it has no decodable video frames")
        if not (math.isfinite(info.fps) and info.fps > 0):  # no times for its frames, no duration to check
            raise InvalidVideo(f"its header gives no frame rate ({info.fps})")
        check_limits(info, limits)
        yield capture, info
    finally:
        capture.release()


def bounded(frame: np.ndarray, side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """The frame, scaled down (area interpolation) if its longest side is above ``side``."""
    scale = side / max(frame.shape[:2])
    if scale >= 1:
        return frame
    size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def read_jpegs(
    capture: cv2.VideoCapture, info: VideoInfo, indices: list[int], quality: int = 90
) -> list[tuple[int, bytes]]:
    """``(index, JPEG)`` for each of ``indices``, in that order, decoding no further than the last."""
    jpegs = {}
    for index, frame in read_frames(capture, indices):
        ok, jpeg = cv2.imencode(".jpg", bounded(frame), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            jpegs[index] = jpeg.tobytes()
    if missing := sorted(set(indices) - set(jpegs)):
        raise InvalidVideo(
            f"it is truncated or corrupt: decoding stopped before frame {missing[0]} "
            f"of the {info.frame_count} its header announces"
        )
    return [(index, jpegs[index]) for index in indices]
