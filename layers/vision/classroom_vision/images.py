"""Pictures as the rest of the package takes them: contiguous RGB numpy arrays."""

import cv2
import numpy as np


def decode_rgb(jpeg: bytes) -> np.ndarray:
    """JPEG bytes to a contiguous RGB array (dlib needs RGB, and silently finds nothing in a strided view)."""
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a decodable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
