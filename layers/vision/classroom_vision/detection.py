"""Face detection for the frames of a video: dlib's HOG detector (face_recognition's), coarse to fine.

The detector's runtime lives here and only here: a ``Detector`` takes RGB arrays and gives ``Box``es.
"""

from functools import cache

import cv2
import dlib
import numpy as np

from classroom_vision.boxes import Box

DETECT_SIDE = 480  # longest side of the first, coarse detection pass (HOG finds faces from ~70 px)
SMALL_FACE = 56  # px at the detection scale: HOG's limit is ~40, so smaller faces may have been missed
MAX_DETECT_PIXELS = 1920 * 1080 * 2  # bound on the finest (upsampled) search


@cache
def _hog():
    return dlib.get_frontal_face_detector()


def load() -> None:
    """Build the detector now (at cold start) rather than on the first frame."""
    _hog()


def _scales(height: int, width: int) -> list[float]:
    """Coarse to fine: a ~480 px frame first, then twice that (enlarged, for a small video), doubling
    to full size, then once upsampled."""
    scales = [min(1.0, DETECT_SIDE / max(height, width))]
    scales.append(2 * scales[0])
    while scales[-1] < 1.0:
        scales.append(min(1.0, scales[-1] * 2))
    if height * width * 4 <= MAX_DETECT_PIXELS and scales[-1] < 2.0:
        scales.append(2.0)
    return scales


def _box(r: dlib.rectangle, scale: float = 1.0) -> Box:
    """A dlib rectangle found at ``scale``, in full-size coordinates."""
    return Box(int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale), int(r.left() / scale))


def _detect_at(rgb: np.ndarray, scale: float) -> list[Box]:
    """HOG detection at ``scale``, boxes mapped back to full-size coordinates."""
    if scale == 2.0:
        return [_box(r) for r in _hog()(rgb, 1)]
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interpolation)
    return [_box(r, scale) for r in _hog()(small, 0)]


class Detector:
    """Face detection for the frames of one video, coarse to fine.

    Each frame is searched at ~480 px first, and finer while a pass finds no face or only faces
    near HOG's size limit. On the first frame, once a pass finds faces, one pass at twice the
    coarse scale (if that one was not it) looks for smaller faces beside them (a student at the
    back); later frames start at the scale that served the first.
    """

    def __init__(self) -> None:
        self.start: float | None = None

    def __call__(self, rgb: np.ndarray) -> list[Box]:
        scales = _scales(*rgb.shape[:2])
        probe = scales[1] if self.start is None else None  # twice the coarse scale
        if self.start is not None:
            scales = [s for s in scales if s >= self.start]
        for scale in scales:
            found = _detect_at(rgb, scale)
            if found and min(box.width for box in found) * scale >= SMALL_FACE:
                if probe is not None and probe > scale:
                    finer = _detect_at(rgb, probe)
                    if len(finer) > len(found):
                        found, scale = finer, probe
                self.start = scale
                return found
        self.start = None  # nothing sure here: the next frame starts coarse again
        return found
