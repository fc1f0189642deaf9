"""Face encodings: dlib's face-recognition ResNet (face_recognition's encoder) on each face, aligned by
its 5-point landmarks.

dlib finds the landmarks and cuts the 150x150 face chip, as ``compute_face_descriptor`` does inside;
the network itself runs as ONNX on OpenCV's dnn module. The ONNX file is dlib's .dat converted at
build time (``layers/vision/resnet_to_onnx.py``, checked against ``models.sha256``): the same
encodings to within 1e-6 per component (float32 sums in another order), several times faster than
dlib's build, which has no BLAS. All the faces of a frame go through the network in one call.

The encoder's runtime lives here and only here: ``encode`` takes an RGB array and ``Box``es and gives
float64 numpy arrays, whatever computes them.
"""

from dataclasses import dataclass
from functools import cache

import cv2
import dlib
import numpy as np

from classroom_vision.boxes import Box
from classroom_vision.models import model_path
from classroom_vision.threads import use_vcpus

LANDMARKS = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.onnx"
CHIP_SIZE, CHIP_PADDING = 150, 0.25  # the chip compute_face_descriptor cuts (and the network's input)
# Faces narrower than this are not encoded: YuNet finds faces from about 13 px, but dlib's encoder gave
# wrong names to faces of 15-20 px (none from 24 px up, on generated classrooms from 360p to 8K).
SMALLEST_FACE = 24


@dataclass(frozen=True)
class Face:
    box: Box  # in the full-size frame
    encoding: np.ndarray  # (128,) float64


@cache
def _models() -> tuple:
    predictor = dlib.shape_predictor(str(model_path(LANDMARKS)))
    # OpenCV 5's new graph engine: its classic engine is a few % faster on this ResNet but crashed
    # (SIGSEGV) when a frame brought more faces than the one before (README: Performance).
    network = cv2.dnn.readNetFromONNX(str(model_path(RESNET)))
    use_vcpus()
    return predictor, network


def load() -> None:
    """Load the models now (at cold start) rather than on the first face."""
    _models()


def encodable(boxes: list[Box]) -> list[Box]:
    """The boxes big enough for an encoding that names the right person (``SMALLEST_FACE``)."""
    return [box for box in boxes if box.width >= SMALLEST_FACE]


def encode(rgb: np.ndarray, boxes: list[Box]) -> list[Face]:
    """128-d encodings computed on the full-size frame, all of its faces in one pass of the network."""
    if not boxes:
        return []
    predictor, network = _models()
    rectangles = [dlib.rectangle(b.left, b.top, b.right, b.bottom) for b in boxes]
    shapes = dlib.full_object_detections([predictor(rgb, r) for r in rectangles])
    chips = dlib.get_face_chips(rgb, shapes, size=CHIP_SIZE, padding=CHIP_PADDING)
    # RGB 0-255 as float32 NCHW, nothing else: the graph subtracts dlib's means and scales.
    network.setInput(cv2.dnn.blobFromImages(chips))
    descriptors = network.forward()  # (faces, 128) float32
    return [Face(b, d.astype(np.float64)) for b, d in zip(boxes, descriptors, strict=True)]
