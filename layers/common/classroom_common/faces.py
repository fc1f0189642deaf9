"""Face detection and encoding with dlib, loading only the two models the step needs.

The calls are face_recognition's (HOG detector, 5-point landmarks, ResNet encoder),
made directly: ``import face_recognition`` would also load the 100 MB 68-point
predictor and pkg_resources, for nothing.
"""

import importlib.util
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import dlib
import numpy as np

DETECT_SIDE = 480  # longest side of the first, coarse detection pass (HOG finds faces from ~70 px)
SMALL_FACE = 56  # px at the detection scale: HOG's limit is ~40, so smaller faces may have been missed
MAX_DETECT_PIXELS = 1920 * 1080 * 2  # bound on the finest (upsampled) search


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # top, right, bottom, left in the full-size frame
    encoding: np.ndarray


def models_dir() -> Path:
    """The face_recognition_models data folder, found without importing the package."""
    if override := os.environ.get("FACE_MODELS_DIR"):
        return Path(override)
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed")
    return Path(spec.submodule_search_locations[0]) / "models"


@cache
def _models() -> tuple:
    folder = models_dir()
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
        dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")),
    )


def load_models() -> None:
    """Load the models now (at cold start) rather than on the first frame."""
    _models()


def decode_rgb(jpeg: bytes) -> np.ndarray:
    """JPEG bytes to a contiguous RGB array (dlib needs RGB, and silently finds nothing in a strided view)."""
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a decodable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


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


def _detect_at(rgb: np.ndarray, scale: float) -> list[dlib.rectangle]:
    """HOG detection at ``scale``, boxes mapped back to full-size coordinates."""
    detector = _models()[0]
    if scale == 2.0:
        return list(detector(rgb, 1))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interpolation)
    return [
        dlib.rectangle(
            int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
        )
        for r in detector(small, 0)
    ]


class Detector:
    """Face detection for the frames of one video, coarse to fine.

    Each frame is searched at ~480 px first, and finer while a pass finds no face or only faces
    near HOG's size limit. On the first frame, once a pass finds faces, one pass at twice the
    coarse scale (if that one was not it) looks for smaller faces beside them (a student at the
    back); later frames start at the scale that served the first.
    """

    def __init__(self) -> None:
        self.start: float | None = None

    def __call__(self, rgb: np.ndarray) -> list[dlib.rectangle]:
        scales = _scales(*rgb.shape[:2])
        probe = scales[1] if self.start is None else None  # twice the coarse scale
        if self.start is not None:
            scales = [s for s in scales if s >= self.start]
        for scale in scales:
            found = _detect_at(rgb, scale)
            if found and min(r.width() for r in found) * scale >= SMALL_FACE:
                if probe is not None and probe > scale:
                    finer = _detect_at(rgb, probe)
                    if len(finer) > len(found):
                        found, scale = finer, probe
                self.start = scale
                return found
        self.start = None  # nothing sure here: the next frame starts coarse again
        return found


def largest(boxes: list[dlib.rectangle], limit: int) -> list[dlib.rectangle]:
    """The ``limit`` largest faces: a bound on encoding time (about 0.1 s a face) for crowded frames."""
    return sorted(boxes, key=lambda r: r.area(), reverse=True)[:limit]


def encode(rgb: np.ndarray, boxes: list[dlib.rectangle]) -> list[Face]:
    """128-d encodings computed on the full-size frame."""
    if not boxes:
        return []
    _, predictor, encoder = _models()
    shapes = dlib.full_object_detections([predictor(rgb, box) for box in boxes])
    descriptors = encoder.compute_face_descriptor(rgb, shapes)
    return [
        Face((b.top(), b.right(), b.bottom(), b.left()), np.array(d, dtype=np.float64))
        for b, d in zip(boxes, descriptors, strict=True)
    ]


def find_faces(rgb: np.ndarray) -> list[Face]:
    """Every face in one picture (a photo, or a frame seen on its own)."""
    return encode(rgb, Detector()(rgb))
