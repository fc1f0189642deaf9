"""Face detection with YuNet on OpenCV's dnn, every face of a classroom frame in bounded work.

The detector's runtime lives here and only here: ``detect`` takes an RGB array and gives ``Box``es.

Three passes, each of a fixed input size whatever the frame's resolution (720p to 8K):

1. The main pass: the frame scaled so its longest side is ``SIDE`` px. A face 40 px wide in a
   1920 px frame (the smallest asked for) is 20 px there; YuNet is reliable from about 13 px.
2. The close-up pass: the same image at ``CLOSE_SIDE`` px, for faces too big for the main pass
   (YuNet is trained on faces up to about 300 px; a full-frame close-up is about 500 px at 960).
   Only faces of at least ``CLOSE_MIN`` px there are kept: smaller ones are the main pass's.
3. A second look at the unsure: a candidate scoring between ``CANDIDATE_SCORE`` and ``SURE_SCORE`` is
   detected again on a crop of the full-size frame around it, scaled to ``VERIFY_INPUT`` px. A small
   true face scores 0.84 or more there; the textures, patches and partial faces that fool YuNet at
   15–30 px score 0.51 or less.

Boxes are returned as dlib's HOG detector would give them (square, placed as HOG places them), not
as YuNet's (taller, higher): dlib's 5-point landmark model was trained on HOG's boxes, and encodings
from YuNet's own box are 0.12 from the HOG box's on average (16 names of 299 faces change), from the
mapped box 0.046 (none change). The thresholds and the mapping were measured on the sample clips, the
photos in tests/data/faces and generated classrooms, empty rooms, posters and close-ups (README).

YuNet runs as OpenCV's ``FaceDetectorYN`` runs it (the input padded to a multiple of 32, one forward
pass, each stride's anchors decoded, ``NMSBoxes``), giving the same rows to the bit, but without its
``setPreferableTarget``: OpenCV 5's graph engine, which YuNet's dynamic shapes need, chooses no target
and logs a warning for each detector created that way.
"""

import ctypes
import ctypes.util
from functools import cache
from importlib import resources

import cv2
import numpy as np

from classroom_vision.boxes import Box
from classroom_vision.threads import use_vcpus

MODEL = "yunet/yunet_n_dynamic.onnx"  # n: better recall of small faces than s, about 10 % slower

SIDE = 960  # main pass: longest side of the detector's input (the frame scaled to it, up or down)
CLOSE_SIDE = 320  # close-up pass: longest side
CLOSE_MIN = 48  # px at the close-up pass: the faces it keeps (144 px and more at the main pass)

CANDIDATE_SCORE = 0.3  # YuNet's own threshold: the lowest true face seen at 960 scored 0.43
SURE_SCORE = 0.85  # accepted without a second look: the highest false face seen in a pass scored 0.74
VERIFY_SCORE = 0.7  # accepted after a second look: true faces 0.84 and up, false ones 0.51 and below
VERIFY_INPUT = 288  # px: the square crop, VERIFY_CONTEXT times the candidate's larger side
VERIFY_CONTEXT = 3.0
MAX_VERIFY = 100  # bound on second looks per frame (about 5 ms each)

NMS_IOU = 0.3  # boxes overlapping more than this are one face
CONTAINED = 0.7  # a box this much inside a better-scoring one is part of that face

# YuNet's box (x, y, w, h) and landmarks -> the square box HOG gives the same face: side
# MAP_SIZE * sqrt(w h); centre MAP_DY * h below the top; across, the box's centre moved MAP_YAW times
# the nose tip's offset from the eyes-mouth midline (HOG's box follows the way the face is turned).
# Chosen to minimise the distance between encodings from the HOG box and from the mapped box.
MAP_SIZE, MAP_DY, MAP_YAW = 0.96, 0.53, 1.17

Rows = np.ndarray  # N x 15 float32: x, y, w, h, five landmarks (x, y), score

STRIDES = (8, 16, 32)  # YuNet's output grids: one anchor per stride x stride cell of the padded input
OUTPUTS = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in STRIDES]
TOP_K = 5000  # candidates NMSBoxes keeps at most, as FaceDetectorYN is given it here

# The C library's expf, which FaceDetectorYN's decoding calls: NumPy's exp differs from it in the last
# bit now and then, and a box's width and height come from it.
_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_libm.expf.restype, _libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
_expf = np.frompyfunc(_libm.expf, 1, 1)


@cache
def _network(use: str) -> cv2.dnn.Net:
    """One network per pass, so each keeps its input size (a new size re-plans the network)."""
    use_vcpus()
    network = cv2.dnn.readNet(str(resources.files("classroom_vision") / MODEL))
    network.setPreferableBackend(cv2.dnn.DNN_BACKEND_DEFAULT)  # as FaceDetectorYN sets it
    return network


def load() -> None:
    """Load the detector now (at cold start) rather than on the first frame."""
    for use in ("main", "close", "verify"):
        _network(use)


def _expf32(values: np.ndarray) -> np.ndarray:
    return _expf(values).astype(np.float32) if len(values) else values.copy()


def _decode(outputs: list[np.ndarray], level: int, columns: int) -> Rows:
    """The anchors of one stride scoring at least ``CANDIDATE_SCORE``, in FaceDetectorYN's float32
    arithmetic: box centre and landmarks offset from the anchor's cell, width and height exponential."""
    cls, obj, bbox, kps = (outputs[level + len(STRIDES) * k][0] for k in range(4))
    score = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
    anchors = np.flatnonzero(~(score < np.float32(CANDIDATE_SCORE)))
    row, column = (v.astype(np.float32) for v in np.divmod(anchors, columns))
    stride, box, marks = np.float32(STRIDES[level]), bbox[anchors], kps[anchors]
    width, height = _expf32(box[:, 2]) * stride, _expf32(box[:, 3]) * stride
    half = np.float32(2)
    found = [(column + box[:, 0]) * stride - width / half, (row + box[:, 1]) * stride - height / half]
    found += [width, height]
    for n in range(5):
        found += [(marks[:, 2 * n] + column) * stride, (marks[:, 2 * n + 1] + row) * stride]
    return np.stack([*found, score[anchors]], axis=1).astype(np.float32)


def _run(use: str, rgb: np.ndarray) -> Rows:
    """YuNet on ``rgb`` (a scaled frame or a crop), rows in its pixels."""
    height, width = rgb.shape[:2]
    padded = (-(-height // STRIDES[-1]) * STRIDES[-1], -(-width // STRIDES[-1]) * STRIDES[-1])
    # YuNet was trained on BGR: the channels are swapped on the detector's input, not on the whole frame.
    blob = np.zeros((1, 3, *padded), np.float32)
    for channel in range(3):
        blob[0, channel, :height, :width] = rgb[:, :, 2 - channel]
    network = _network(use)
    network.setInput(blob)
    outputs = network.forward(OUTPUTS)
    rows = np.concatenate([_decode(outputs, level, padded[1] // s) for level, s in enumerate(STRIDES)])
    if len(rows) > 1:
        boxes = rows[:, :4].astype(np.int32).tolist()  # truncated, as FaceDetectorYN's integer boxes
        kept = cv2.dnn.NMSBoxes(
            boxes, rows[:, 14].tolist(), float(np.float32(CANDIDATE_SCORE)), NMS_IOU, 1.0, TOP_K
        )
        rows = rows[np.asarray(kept, dtype=np.intp).reshape(-1)]
    return rows


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    x = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    y = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return x * y


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = _overlap(a, b)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-9)


def _suppress(rows: Rows) -> Rows:
    """Best score first; drop a box overlapping a kept one, or lying mostly inside it."""
    kept: list[np.ndarray] = []
    for row in rows[np.argsort(-rows[:, 14])]:
        if all(
            _iou(row, k) <= NMS_IOU and _overlap(row, k) / (row[2] * row[3] + 1e-9) < CONTAINED for k in kept
        ):
            kept.append(row)
    return np.array(kept, np.float32).reshape(-1, 15)


def _second_look(rgb: np.ndarray, row: np.ndarray) -> np.ndarray | None:
    """The candidate detected again on a crop of the full-size frame around it, or None."""
    x, y, w, h = (float(v) for v in row[:4])
    side = max(1, round(VERIFY_CONTEXT * max(w, h)))
    x0, y0 = round(x + w / 2 - side / 2), round(y + h / 2 - side / 2)
    height, width = rgb.shape[:2]
    crop = rgb[max(0, y0) : min(height, y0 + side), max(0, x0) : min(width, x0 + side)]
    if crop.size == 0:
        return None
    pad = (max(0, -y0), max(0, y0 + side - height), max(0, -x0), max(0, x0 + side - width))
    crop = cv2.copyMakeBorder(crop, *pad, cv2.BORDER_REPLICATE)
    scale = VERIFY_INPUT / side
    found = _run("verify", _resize(crop, scale)).copy()
    found[:, :14] /= scale
    found[:, [0, 4, 6, 8, 10, 12]] += x0  # x of the box and of the landmarks
    found[:, [1, 5, 7, 9, 11, 13]] += y0
    overlapping = [f for f in found if _iou(f, row) >= 0.3]
    best = max(overlapping, key=lambda f: f[14], default=None)
    return best if best is not None and best[14] >= VERIFY_SCORE else None


def _hog_like(row: np.ndarray) -> Box:
    """A YuNet row mapped to the square box dlib's HOG detector would give the face."""
    x, y, w, h = (float(v) for v in row[:4])
    eyes_x, mouth_x, nose_x = (row[4] + row[6]) / 2, (row[10] + row[12]) / 2, row[8]
    size = MAP_SIZE * np.sqrt(max(w, 1.0) * max(h, 1.0))
    centre_x = x + w / 2 + MAP_YAW * (nose_x - (eyes_x + mouth_x) / 2)
    centre_y = y + MAP_DY * h
    left, top, side = round(centre_x - size / 2), round(centre_y - size / 2), max(1, round(size))
    return Box(top, left + side, top + side, left)


def detect(rgb: np.ndarray) -> list[Box]:
    """Every face in an RGB picture (what dlib and the encoder read), as HOG-like boxes in its pixels."""
    scale = SIDE / max(rgb.shape[:2])
    main = _resize(rgb, scale)
    rows = [_run("main", main) / np.r_[[scale] * 14, 1]]
    close = _run("close", _resize(main, CLOSE_SIDE / SIDE))
    close = close[close[:, 2] >= CLOSE_MIN]
    rows.append(close / np.r_[[scale * CLOSE_SIDE / SIDE] * 14, 1])
    accepted, looked = [], 0
    for row in _suppress(np.concatenate(rows).astype(np.float32)):
        if row[14] >= SURE_SCORE:
            accepted.append(row)
        elif looked < MAX_VERIFY:
            looked += 1
            if (better := _second_look(rgb, row)) is not None:
                accepted.append(better)
    return [_hog_like(row) for row in _suppress(np.array(accepted, np.float32).reshape(-1, 15))]
