"""Recognize the people in sampled frames: detect, encode, match, and tally (``classroom_common.votes``)
until stable."""

from collections.abc import Callable

import numpy as np

from classroom_common.votes import Tally
from classroom_vision.boxes import largest
from classroom_vision.detection import detect
from classroom_vision.encoding import Face, encodable, encode
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import FaceMatch, match

MAX_FACES_PER_FRAME = 120  # default bound on faces encoded per frame (about 10 ms each): a class of 60 fits


Best = tuple[np.ndarray, list[Face], list[FaceMatch]]


def recognize_frames(
    count: int,
    load: Callable[[int], bytes],
    known: KnownFaces,
    threshold: float,
    max_faces: int,
    tally: Tally,
    until_stable: bool = True,
    on_frame: Callable[[int, list[Face], list[FaceMatch]], None] | None = None,
) -> Best | None:
    """Add frames ``0..count-1`` (JPEGs, ``load(i)`` reads frame i) to ``tally``, in that order, until
    the answer is stable (or every frame, for a lecture's attendance); ``on_frame(i, faces, matches)``
    is told each frame's faces and matches. Returns the frame that names more people than any before
    it, if one does."""
    best = None
    for i in range(count):
        if until_stable and tally.stable:
            break
        rgb = decode_rgb(load(i))
        boxes = detect(rgb)
        faces = encode(rgb, largest(encodable(boxes), max_faces))
        tally.not_encoded += len(boxes) - len(faces)
        matches = match((f.encoding for f in faces), known, threshold)
        tally.add(matches)
        if on_frame:
            on_frame(i, faces, matches)
        named = sum(1 for m in matches if m.name)
        if faces and named > tally.best_named:
            best, tally.best_named = (rgb, faces, matches), named
    return best
