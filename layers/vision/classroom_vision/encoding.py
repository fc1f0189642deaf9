"""Face encodings: dlib's ResNet (face_recognition's encoder) on each face, aligned by 5-point landmarks.

The encoder's runtime lives here and only here: ``encode`` takes an RGB array and ``Box``es and gives
float64 numpy arrays, whatever computes them.
"""

from dataclasses import dataclass
from functools import cache

import dlib
import numpy as np

from classroom_vision.boxes import Box
from classroom_vision.models import model_path

LANDMARKS = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


@dataclass(frozen=True)
class Face:
    box: Box  # in the full-size frame
    encoding: np.ndarray  # (128,) float64


@cache
def _models() -> tuple:
    predictor = dlib.shape_predictor(str(model_path(LANDMARKS)))
    return predictor, dlib.face_recognition_model_v1(str(model_path(RESNET)))


def load() -> None:
    """Load the models now (at cold start) rather than on the first face."""
    _models()


def encode(rgb: np.ndarray, boxes: list[Box]) -> list[Face]:
    """128-d encodings computed on the full-size frame."""
    if not boxes:
        return []
    predictor, encoder = _models()
    rectangles = [dlib.rectangle(b.left, b.top, b.right, b.bottom) for b in boxes]
    shapes = dlib.full_object_detections([predictor(rgb, r) for r in rectangles])
    descriptors = encoder.compute_face_descriptor(rgb, shapes)
    return [Face(b, np.array(d, dtype=np.float64)) for b, d in zip(boxes, descriptors, strict=True)]
