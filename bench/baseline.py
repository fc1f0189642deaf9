"""The course's baseline, as a plain loop: ffmpeg ``-r 1`` to JPEGs, then face_recognition.

Per clip: every second of video becomes a JPEG (ffmpeg decodes the whole clip); the frames
are read in order until one has a face (face_locations on the full-resolution image,
HOG, upsample 1); its first face is encoded (face_encodings) and compared at 0.6
(compare_faces) with the course's encodings in the pickle's order: the first match wins.
"""

import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from classroom_vision.known_faces import KnownFaces, from_course_pickle

TOLERANCE = 0.6


@dataclass
class BaselineResult:
    video: str
    name: str | None
    seconds: float  # decode (ffmpeg) + detect + encode + match
    decode_seconds: float
    frames_extracted: int
    frames_examined: int


def ffmpeg() -> str:
    """The ffmpeg binary of the imageio-ffmpeg wheel, else one on PATH."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if not found:
            raise RuntimeError(
                "no ffmpeg: install the bench extra (imageio-ffmpeg) or Debian's ffmpeg"
            ) from None
        return found


def load_course_encodings(path: Path) -> KnownFaces:
    return from_course_pickle(path.read_bytes())


def recognize_clip(video: Path, known: KnownFaces, binary: str) -> BaselineResult:
    """One clip through the baseline, timed end to end (the model loading is not included)."""
    import face_recognition  # loads dlib's models once, at the first import

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(  # noqa: S603 - a fixed binary and our own paths
            [binary, "-loglevel", "error", "-i", str(video), "-r", "1", f"{tmp}/image-%3d.jpeg"],
            check=True,
        )
        decoded = time.perf_counter() - started
        frames = sorted(Path(tmp).glob("image-*.jpeg"))
        name, examined = None, 0
        for frame in frames:
            examined += 1
            image = face_recognition.load_image_file(str(frame))
            locations = face_recognition.face_locations(image)  # HOG, number_of_times_to_upsample=1
            if not locations:
                continue
            encoding = face_recognition.face_encodings(image, known_face_locations=locations[:1])[0]
            matches = face_recognition.compare_faces(list(known.encodings), encoding, tolerance=TOLERANCE)
            name = next((str(n) for n, hit in zip(known.names, matches, strict=True) if hit), None)
            break
    return BaselineResult(video.name, name, time.perf_counter() - started, decoded, len(frames), examined)


def warm_up() -> None:
    """Import face_recognition (and load its models) outside the timed part."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")  # face_recognition_models
        import face_recognition  # noqa: F401
