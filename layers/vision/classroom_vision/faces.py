"""Detection and encoding together: every face of a picture, and the models loaded at cold start."""

import numpy as np

from classroom_vision import detection, encoding
from classroom_vision.encoding import Face


def load_models() -> None:
    """Load every model now (at cold start) rather than on the first frame."""
    detection.load()
    encoding.load()


def find_faces(rgb: np.ndarray) -> list[Face]:
    """Every face in one picture (a photo, or a frame seen on its own)."""
    return encoding.encode(rgb, detection.detect(rgb))
