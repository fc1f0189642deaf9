"""Make class photos as cameras and phones write them: an image encoded as JPEG, PNG or WebP, and a JPEG
whose EXIF says how to turn it (a phone held upright stores the sensor's landscape pixels)."""

import struct

import cv2
import numpy as np

EXIF_ORIENTATION = 0x0112  # the TIFF tag; 6: turn 90° clockwise to show, 8: counter-clockwise, 3: 180°


def encoded(image: np.ndarray, extension: str, params: list[int] | None = None) -> bytes:
    """``image`` (BGR, BGRA or grey) as the file OpenCV writes for ``extension`` (.jpg, .png, .webp)."""
    ok, data = cv2.imencode(extension, image, params or [])
    assert ok, extension
    return data.tobytes()


def exif_oriented(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF segment (APP1, right after its start) giving its ``orientation``."""
    entry = struct.pack(">HHIHH", EXIF_ORIENTATION, 3, 1, orientation, 0)  # one SHORT, padded
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]
