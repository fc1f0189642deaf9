"""Judge one enrolment photo: the encoding of its one face, or why it cannot be used.

The same detector and encoder as recognition (``classroom_vision``), and the same limits: a face
narrower than ``SMALLEST_FACE`` is one recognition would not encode either, and a blurred face gives
an encoding that sits between people. A face already enrolled under another name is refused too: it
would make recognition confuse the two.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from classroom_vision.boxes import Box
from classroom_vision.detection import detect
from classroom_vision.encoding import SMALLEST_FACE, encode
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces

# Variance of the Laplacian of the face resized to 128x128 grey: the photos of tests/data/faces give
# 198-1594, the same faces blurred (Gaussian, sigma about an eighth of the face) 5-13.
SHARPEST_BLUR = 40.0


@dataclass(frozen=True)
class Verdict:
    """A photo's outcome: ``encoding`` when used, else ``reason``; ``looks_like`` names the other
    student it was refused for."""

    encoding: np.ndarray | None
    reason: str = ""
    looks_like: str | None = None
    distance: float | None = None


def sharpness(rgb: np.ndarray, box: Box) -> float:
    """How sharp the face is: the variance of the Laplacian of its crop, at a fixed size."""
    crop = rgb[max(0, box.top) : box.bottom + 1, max(0, box.left) : box.right + 1]
    grey = cv2.cvtColor(cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def nearest_other(encoding: np.ndarray, known: KnownFaces, name: str) -> tuple[str | None, float]:
    """The nearest known face enrolled under another name, and its distance."""
    others = known.names != name
    if not others.any():
        return None, float("inf")
    distances = np.linalg.norm(known.encodings[others] - encoding, axis=1)
    i = int(distances.argmin())
    return str(known.names[others][i]), float(distances[i])


def judge(data: bytes, name: str, known: KnownFaces, threshold: float) -> Verdict:
    """Use the photo's one face for ``name``, or say why not."""
    try:
        rgb = decode_rgb(data)
    except (OSError, ValueError):
        return Verdict(None, "not a decodable image (JPEG, PNG or WebP)")
    boxes = detect(rgb)
    if not boxes:
        return Verdict(None, "no face found")
    if len(boxes) > 1:
        return Verdict(None, f"{len(boxes)} faces found, expected one")
    box = boxes[0]
    if box.width < SMALLEST_FACE:
        return Verdict(
            None,
            f"face too small: {box.width} px wide; recognition encodes faces from {SMALLEST_FACE} px "
            "(SMALLEST_FACE), and a photo should show it much larger",
        )
    sharp = sharpness(rgb, box)
    if sharp < SHARPEST_BLUR:
        return Verdict(None, f"too blurred (sharpness {sharp:.0f}, at least {SHARPEST_BLUR:.0f} needed)")
    encoding = encode(rgb, [box])[0].encoding
    other, distance = nearest_other(encoding, known, name)
    if other is not None and distance < threshold:
        return Verdict(
            None,
            f"looks like {other}, already enrolled (distance {distance:.2f}, under the match threshold "
            f"{threshold}): not added; if it is the same person, enrol them under one name",
            other,
            round(distance, 4),
        )
    return Verdict(encoding)
