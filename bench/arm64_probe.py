"""What the vision layer makes of some videos, on whatever machine runs this: run by ``bench.arm64`` once
with x86_64's Python and once with aarch64's under QEMU, both with the layer's exact numpy, OpenCV and
dlib and its models. Imports nothing but those and classroom_vision, so it runs as a plain script.

    python arm64_probe.py decode KNOWN.npz OUT_DIR CLIP...   # decode each clip's samples, then recognize
    python arm64_probe.py pixels KNOWN.npz OUT_DIR FRAMES_DIR  # recognize frames another machine decoded

``decode`` writes OUT_DIR/frames/<clip>/<index>.npy (the decoded BGR pixels) and OUT_DIR/faces.json;
``pixels`` reads FRAMES_DIR (such a frames folder) and writes OUT_DIR/faces.json. faces.json: for each
clip, for each sampled frame, each face's box, encoding, nearest name (or null) and its distance.
"""

import json
import platform
import sys
import time
from pathlib import Path

import cv2
import dlib
import numpy as np

from classroom_vision import faces
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import match

SAMPLES = 7  # FrameSamples' default: frames at the centres of equal slices of a clip
THRESHOLD = 0.6  # MatchThreshold's default


def sample_indices(frame_count: int, samples: int = SAMPLES) -> list[int]:
    """The centres of ``samples`` equal slices (as ExtractFrames samples a clip)."""
    return sorted({min(frame_count - 1, int((i + 0.5) * frame_count / samples)) for i in range(samples)})


def decoded(clip: Path) -> dict[int, np.ndarray]:
    """The sampled frames of ``clip``, decoded in order from the start (BGR)."""
    capture = cv2.VideoCapture(str(clip))
    wanted = set(sample_indices(int(capture.get(cv2.CAP_PROP_FRAME_COUNT))))
    found, index = {}, 0
    while wanted - found.keys() and capture.grab():
        if index in wanted:
            found[index] = capture.retrieve()[1]
        index += 1
    capture.release()
    return found


def recognized(frame: np.ndarray, known: KnownFaces) -> list[dict]:
    """Every face of one BGR frame: box, encoding, nearest name under the threshold and its distance."""
    found = faces.find_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    matches = match([f.encoding for f in found], known, THRESHOLD)
    return [
        {"box": list(f.box), "encoding": f.encoding.tolist(), "name": m.name, "distance": m.distance}
        for f, m in zip(found, matches, strict=True)
    ]


def main(argv: list[str]) -> int:
    mode, known_path, out = argv[0], Path(argv[1]), Path(argv[2])
    known = KnownFaces.from_bytes(known_path.read_bytes())
    started = time.perf_counter()
    faces.load_models()
    frames: dict[str, dict[int, np.ndarray]] = {}
    if mode == "decode":
        for clip in map(Path, argv[3:]):
            frames[clip.name] = decoded(clip)
            for index, frame in frames[clip.name].items():
                (out / "frames" / clip.name).mkdir(parents=True, exist_ok=True)
                np.save(out / "frames" / clip.name / f"{index}.npy", frame)
    else:
        for folder in sorted(Path(argv[3]).iterdir()):
            frames[folder.name] = {int(p.stem): np.load(p) for p in folder.glob("*.npy")}
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "versions": {"numpy": np.__version__, "opencv": cv2.__version__, "dlib": dlib.__version__},
        "clips": {
            clip: {str(i): recognized(frame, known) for i, frame in sorted(found.items())}
            for clip, found in frames.items()
        },
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "faces.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
