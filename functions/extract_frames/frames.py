"""Sample frames across a video with OpenCV, decoding no further than the last sample."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from classroom_common.errors import InvalidVideo, VideoTooLarge

SEEK_GAP = 250  # frames; a typical H.264 keyframe interval: shorter gaps are cheaper to decode through


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 600.0
    max_pixels: int = 3840 * 2160


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
    """Frame indices at the centres of ``samples`` equal slices of the clip."""
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


def extract(
    path: Path, samples: int, limits: Limits, quality: int = 90
) -> tuple[VideoInfo, list[tuple[int, bytes]]]:
    """Decode ``path`` and return its metadata and ``samples`` JPEG-encoded frames."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InvalidVideo("OpenCV cannot open it as a video (empty, truncated or not an MP4)")
        info = probe(capture)
        if info.frame_count <= 0 or info.width <= 0 or info.height <= 0:
            raise InvalidVideo("it has no decodable video frames")
        check_limits(info, limits)
        wanted = sample_indices(info.frame_count, samples)
        jpegs = []
        for index, frame in read_frames(capture, wanted):
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok:
                jpegs.append((index, jpeg.tobytes()))
    finally:
        capture.release()
    if not jpegs:
        raise InvalidVideo("none of its frames could be decoded")
    if len(jpegs) < len(wanted):
        raise InvalidVideo(
            f"it is truncated or corrupt: decoding stopped before frame {wanted[len(jpegs)]} "
            f"of the {info.frame_count} its header announces"
        )
    return info, jpegs
