"""One face encoding, timed on each path in one process, the paths taking turns, one thread each.

- dlib: ``compute_face_descriptor``, the ResNet in face_recognition's .dat (the course baseline's
  encoder, and ours before it ran as ONNX);
- ours: ``classroom_vision.encoding.encode``, the same network as ONNX on OpenCV's dnn module;
- onnxruntime: the same ONNX on onnxruntime, when it is installed (the bench extra brings it; the
  vision layer does not: it would not fit Lambda's size limit, see the README).

Each times a whole encoding of one face of a frame of test_0.mp4: 5-point landmarks, chip, network.
"""

import statistics
import time
from collections.abc import Callable

import numpy as np

DLIB, OURS, ONNXRUNTIME = "dlib", "ours (cv2.dnn)", "onnxruntime"


def _a_face() -> tuple[np.ndarray, object]:
    """A frame of test_0.mp4 (RGB) and the box of its face."""
    import cv2

    from classroom_vision.detection import detect
    from devstack import seeding

    capture = cv2.VideoCapture(str(seeding.SAMPLE_VIDEOS / "test_0.mp4"))
    _ok, frame = capture.read()
    capture.release()
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return rgb, detect(rgb)[0]


def paths() -> dict[str, Callable[[], np.ndarray]]:
    """Each path as a call that encodes the face and returns its (128,) encoding."""
    import dlib

    from classroom_vision import encoding
    from classroom_vision.models import model_path

    rgb, box = _a_face()
    rectangle = dlib.rectangle(box.left, box.top, box.right, box.bottom)
    predictor = dlib.shape_predictor(str(model_path(encoding.LANDMARKS)))
    resnet = dlib.face_recognition_model_v1(str(model_path("dlib_face_recognition_resnet_model_v1.dat")))
    encoding.load()

    def with_dlib() -> np.ndarray:
        return np.array(resnet.compute_face_descriptor(rgb, predictor(rgb, rectangle)))

    def ours() -> np.ndarray:
        return encoding.encode(rgb, [box])[0].encoding

    found = {DLIB: with_dlib, OURS: ours}
    try:
        import onnxruntime
    except ImportError:
        return found
    import cv2

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model_path(encoding.RESNET)), options, providers=["CPUExecutionProvider"]
    )

    def with_onnxruntime() -> np.ndarray:
        shape = predictor(rgb, rectangle)
        chip = dlib.get_face_chip(rgb, shape, size=encoding.CHIP_SIZE, padding=encoding.CHIP_PADDING)
        return session.run(None, {"chip": cv2.dnn.blobFromImage(chip)})[0][0].astype(np.float64)

    found[ONNXRUNTIME] = with_onnxruntime
    return found


def encode_ms(rounds: int = 7, warm: int = 3) -> dict:
    """Median ms of one encoding per path, and how far each path's encoding is from dlib's."""
    calls = paths()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(warm + rounds):  # the first calls run slower (allocations, caches): not counted
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            if round_ >= warm:
                times[name].append(time.perf_counter() - started)
    reference = calls[DLIB]()
    return {
        "ms": {name: 1000 * statistics.median(values) for name, values in times.items()},
        "max_abs_diff_to_dlib": {
            name: float(np.abs(call() - reference).max()) for name, call in calls.items()
        },
    }


def timing_line(measured: dict) -> str:
    ms = measured["ms"]
    parts = [f"{name} {value:.1f} ms" for name, value in ms.items()]
    speedups = [f"{name} {ms[DLIB] / ms[name]:.1f}x" for name in ms if name != DLIB]
    return ", ".join(parts) + " (vs dlib: " + ", ".join(speedups) + ")"
