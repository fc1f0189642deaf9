"""What decoding costs per clip, and which frames are the cheapest to get: ``python -m bench.decode_cost``.

Each sample clip is decoded with OpenCV (one decoder thread), and timed: opening it; the first frame
(the keyframe at the start); each frame after it in turn (decoded, not converted, none skipped); the
middle frame reached that way, and reached by a seek; and the first batch as ExtractFrames reads it
(``frames.Decoder.jpegs`` on the two earliest samples, non-reference frames skipped). The keyframes,
where a decode can start, are read from the packets without decoding. ``make bench`` prints the same
table.
"""

import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

ONE_THREAD = [cv2.CAP_PROP_N_THREADS, 1]


@dataclass
class DecodeCost:
    clip: str
    size: str  # width x height
    frames: int
    keyframes: list[int]  # frame indices
    open_ms: float  # opening the file, before any frame
    first_ms: float  # the first frame (a keyframe), after opening
    second_ms: float  # the frame after it
    next_ms: float  # each later frame up to the middle, on average
    middle: int  # frame index
    to_middle_ms: float  # the first frame through the middle one, decoded in turn
    middle_by_seek_ms: float  # a seek to the middle frame and its decode
    first_batch: list[int]  # the frames ExtractFrames' first batch asks for
    first_batch_ms: float  # opening and Decoder.jpegs for them, as the step does


def keyframes(path: Path) -> list[int]:
    """Indices of the keyframes, from the packets (CAP_PROP_FORMAT -1: nothing decoded)."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_FORMAT, -1])
    found, index = [], 0
    while capture.grab():
        if capture.get(cv2.CAP_PROP_LRF_HAS_KEY_FRAME):
            found.append(index)
        index += 1
    capture.release()
    return found


def _sequential(path: Path, last: int) -> tuple[float, list[float]]:
    """Seconds to open, and the seconds each of frames 0..last took to decode, in order."""
    started = time.perf_counter()
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, ONE_THREAD)
    opened = time.perf_counter()
    times, before = [], opened
    for _ in range(last + 1):
        if not capture.grab():
            break
        now = time.perf_counter()
        times.append(now - before)
        before = now
    capture.release()
    return opened - started, times


def _seek(path: Path, index: int) -> float:
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, ONE_THREAD)
    started = time.perf_counter()
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    capture.read()
    seconds = time.perf_counter() - started
    capture.release()
    return seconds


def measure_clip(path: Path, frames_module, samples: int, repeat: int = 3) -> DecodeCost:
    """``frames_module``: ExtractFrames' ``frames``, whose sampling and reading are measured."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, ONE_THREAD)
    info = frames_module.probe(capture)
    capture.release()
    order = frames_module.sample_indices(info.frame_count, samples)
    batch = order[: frames_module.FIRST_BATCH]
    middle = order[len(order) // 2]
    opens, firsts, seconds, nexts, to_middle, seeks, batches = [], [], [], [], [], [], []
    for _ in range(repeat):
        opened, times = _sequential(path, middle)
        opens.append(opened)
        firsts.append(times[0])
        seconds.append(times[1] if len(times) > 1 else 0.0)
        nexts.append(statistics.fmean(times[2:]) if len(times) > 2 else 0.0)
        to_middle.append(sum(times))
        seeks.append(_seek(path, middle))
        started = time.perf_counter()
        with frames_module.opened(path, frames_module.Limits()) as decoder:
            decoder.jpegs(batch)
        batches.append(time.perf_counter() - started)
    return DecodeCost(
        clip=path.name,
        size=f"{info.width}x{info.height}",
        frames=info.frame_count,
        keyframes=keyframes(path),
        open_ms=1000 * statistics.median(opens),
        first_ms=1000 * statistics.median(firsts),
        second_ms=1000 * statistics.median(seconds),
        next_ms=1000 * statistics.median(nexts),
        middle=middle,
        to_middle_ms=1000 * statistics.median(to_middle),
        middle_by_seek_ms=1000 * statistics.median(seeks),
        first_batch=sorted(batch),
        first_batch_ms=1000 * statistics.median(batches),
    )


def measure_clips(clips: list[Path], repeat: int = 3) -> list[DecodeCost]:
    from devstack.function_path import import_module
    from devstack.template import Template

    template = Template()
    frames_module = import_module(template.function("ExtractFramesFunction"), "frames")
    samples = int(template.ref("FrameSamples"))
    return [measure_clip(clip, frames_module, samples, repeat) for clip in clips]


def lines(costs: list[DecodeCost]) -> list[str]:
    out = [
        f"{'clip':<12}{'size':>10}{'frames':>7}  {'keyframes':<10}{'open':>6}{'first':>7}"
        f"{'second':>7}{'next':>6}{'middle':>7}{'to it':>7}{'seek':>7}  {'first batch':<12}{'ms':>6}"
    ]
    for c in costs:
        keys = ",".join(map(str, c.keyframes))
        out.append(
            f"{c.clip:<12}{c.size:>10}{c.frames:>7}  {keys:<10}{c.open_ms:6.1f}{c.first_ms:7.1f}"
            f"{c.second_ms:7.1f}{c.next_ms:6.1f}"
            f"{c.middle:>7}{c.to_middle_ms:7.1f}{c.middle_by_seek_ms:7.1f}  "
            f"{','.join(map(str, c.first_batch)):<12}{c.first_batch_ms:6.1f}"
        )
    return out


def as_dicts(costs: list[DecodeCost]) -> list[dict]:
    return [asdict(c) for c in costs]


def main() -> int:
    from devstack import seeding, workload

    print("ms, median of 3 rounds, one decoder thread; 'next': each later frame to the middle, on average")
    for line in lines(measure_clips(workload.clips(seeding.SAMPLE_VIDEOS))):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
