"""Sample frames across a video with OpenCV, decoding no further than the last frame asked for."""

import io
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from classroom_common.errors import InvalidVideo, VideoTooLarge
from classroom_common.models import AGREEING_FRAMES
from container import declared_size

# The first batch: the fewest frames that can settle the answer, and the earliest samples. Decoding runs
# on from the keyframe before a frame, and a phone's clip of a few seconds is one keyframe and the
# frames predicted from it, so the samples at 1/14 and 3/14 of the clip cost less than half of what
# the middle one alone does (README: Performance).
FIRST_BATCH = AGREEING_FRAMES
CAPTURE_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"  # read by OpenCV's FFmpeg backend as a capture opens
SKIP_UNREFERENCED = "avdiscard;nonref"  # the decoder's skip_frame: pass over the non-reference frames
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


class Decoder:
    """A video open for sampling (a file, or a seekable stream such as ``ranged.RangedObject``): its
    checked metadata, and its frames at the indices asked for, decoding as little as it can.

    One decoder thread: a Lambda below 1769 MB has less than one vCPU, where more threads only add
    work (about 10 % more CPU for the same frames here). A short gap between samples is decoded through,
    skipping the frames nothing else is predicted from (an H.264 clip's non-reference B-frames, half the
    frames of the sample clips): a sample is then the first frame decoded at or after its index, the
    same pixels a full decode gives that frame, for about a quarter less decoding. A long gap is jumped
    with a seek, which decodes from the keyframe before the target only; OpenCV's seek counts decoded
    frames, so before a seek the video is opened again without skipping.
    """

    def __init__(self, source: Path | io.BufferedIOBase, limits: Limits, seek_gap: int = SEEK_GAP) -> None:
        self._source, self.seek_gap, self._skipping = source, seek_gap, True
        check_whole(source)
        self._capture = self._open(skipping=True)
        try:
            self.info = info = probe(self._capture)
            if info.frame_count <= 0 or info.width <= 0 or info.height <= 0:
                raise InvalidVideo("it has no decodable video frames")
            if not (math.isfinite(info.fps) and info.fps > 0):  # no times for its frames, no duration
                raise InvalidVideo(f"its header gives no frame rate ({info.fps})")
            check_limits(info, limits)
        except Exception:
            self.release()
            raise

    def _open(self, skipping: bool) -> cv2.VideoCapture:
        params = [cv2.CAP_PROP_N_THREADS, 1]
        with capture_options(SKIP_UNREFERENCED if skipping else None):
            if isinstance(self._source, io.IOBase):
                self._source.seek(0)
                capture = cv2.VideoCapture(self._source, cv2.CAP_FFMPEG, params)
            else:
                capture = cv2.VideoCapture(str(self._source), cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            raise InvalidVideo("OpenCV cannot open it as a video (empty, truncated or not an MP4)")
        return capture

    def release(self) -> None:
        self._capture.release()

    def _index(self, previous: int) -> int:
        """The index of the frame just decoded, from its time (the frames skipped before it have none)."""
        seconds = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
        return max(previous + 1, round(seconds * self.info.fps))

    def _seek(self, index: int) -> None:
        """Make ``index`` the next frame decoded, opening the video again without skipping first (OpenCV's
        seek counts decoded frames, and would land past its target while frames are skipped)."""
        if self._skipping:
            self._capture.release()
            self._capture, self._skipping = self._open(skipping=False), False
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)

    def frames(self, indices: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, BGR frame)`` for each sample in ``indices``, earliest first, decoding no further than
        the last. A sample the frame of an earlier one already reached is dropped (a clip of few frames)."""
        position = -1  # the index of the last frame decoded
        for target in sorted(set(indices)):
            if target <= position:
                continue
            if target - position > self.seek_gap:
                self._seek(target)
                position = target - 1
            while position < target:
                if self._capture.grab():
                    position = self._index(position)
                elif self._skipping:  # the frames left may all be skipped ones (a clip's last few)
                    self._seek(target)
                    position = target - 1
                else:
                    raise truncated(target, self.info)
            ok, frame = self._capture.retrieve()
            if not ok or frame is None:
                raise truncated(target, self.info)
            yield position, frame

    def jpegs(self, indices: list[int], quality: int = 90) -> list[tuple[int, bytes]]:
        """``(index, JPEG)`` for the samples (``frames``), at most ``MAX_FRAME_SIDE`` px."""
        return [(index, to_jpeg(frame, quality)) for index, frame in self.frames(indices)]


def check_whole(source: Path | io.BufferedIOBase) -> None:
    """Refuse an MP4 shorter than its boxes declare (``container.declared_size``): cut short, whatever
    frames are sampled from it."""
    if isinstance(source, io.IOBase):
        size = source.seek(0, io.SEEK_END)
        declared = declared_size(source, size)
    else:
        size = source.stat().st_size
        with open(source, "rb") as stream:
            declared = declared_size(stream, size)
    if declared is not None and declared > size:
        raise InvalidVideo(f"it is truncated: its MP4 boxes declare {declared} bytes, and it has {size}")


def still_to_decode(samples: list[int], decoded: list[int]) -> list[int]:
    """The ``samples`` after the last frame a batch ``decoded``: a sample on a skipped frame is served by a
    later frame, which in a clip of few frames may already be past the next samples."""
    last = max(decoded, default=-1)
    return [index for index in samples if index > last]


def truncated(index: int, info: VideoInfo) -> InvalidVideo:
    return InvalidVideo(
        f"it is truncated or corrupt: decoding stopped before frame {index} "
        f"of the {info.frame_count} its header announces"
    )


@contextmanager
def capture_options(options: str | None) -> Iterator[None]:
    """OpenCV's FFmpeg backend reads its options from ``CAPTURE_OPTIONS`` as a capture opens."""
    before = os.environ.pop(CAPTURE_OPTIONS, None)
    if options:
        os.environ[CAPTURE_OPTIONS] = options
    try:
        yield
    finally:
        os.environ.pop(CAPTURE_OPTIONS, None)
        if before is not None:
            os.environ[CAPTURE_OPTIONS] = before


@contextmanager
def opened(source: Path | io.BufferedIOBase, limits: Limits, seek_gap: int = SEEK_GAP) -> Iterator[Decoder]:
    """The video open for sampling (``Decoder``), its metadata checked; released after."""
    decoder = Decoder(source, limits, seek_gap)
    try:
        yield decoder
    finally:
        decoder.release()


def to_jpeg(frame: np.ndarray, quality: int = 90) -> bytes:
    """A frame as it is stored for recognition: a JPEG, at most ``MAX_FRAME_SIDE`` px."""
    return cv2.imencode(".jpg", bounded(frame), [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def bounded(frame: np.ndarray, side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """The frame, scaled down (area interpolation) if its longest side is above ``side``."""
    scale = side / max(frame.shape[:2])
    if scale >= 1:
        return frame
    size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
