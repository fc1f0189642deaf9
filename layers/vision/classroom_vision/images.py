"""Pictures as the rest of the package takes them: contiguous RGB numpy arrays."""

import cv2
import numpy as np


def decode_rgb(jpeg: bytes) -> np.ndarray:
    """JPEG bytes to a contiguous RGB array (dlib needs RGB, and silently finds nothing in a strided view)."""
    rgb = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR_RGB)  # no BGR copy in between
    if rgb is None:
        raise ValueError("not a decodable image")
    return rgb
