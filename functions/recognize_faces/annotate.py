"""Draw boxes and names on a frame, for people checking what the step saw."""

import cv2
import numpy as np

from classroom_vision.encoding import Face
from classroom_vision.matching import FaceMatch

GREEN, RED = (0, 200, 0), (0, 0, 230)  # BGR
MAX_WIDTH = 1280


def annotate(rgb: np.ndarray, faces: list[Face], matches: list[FaceMatch]) -> bytes:
    """A JPEG of the frame with each face boxed: green and named if known, red if not."""
    image = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    thickness = max(2, image.shape[1] // 400)
    for face, m in zip(faces, matches, strict=True):
        top, right, bottom, left = face.box
        colour = GREEN if m.name else RED
        label = f"{m.name} ({m.distance:.2f})" if m.name else "unknown"
        cv2.rectangle(image, (left, top), (right, bottom), colour, thickness)
        cv2.putText(
            image, label, (left, max(0, top - 8)), cv2.FONT_HERSHEY_SIMPLEX, thickness / 3, colour, thickness
        )
    if image.shape[1] > MAX_WIDTH:  # for people to look at: every pixel of a 4K frame is not needed
        scale = MAX_WIDTH / image.shape[1]
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return jpeg.tobytes()
