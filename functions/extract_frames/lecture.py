"""How a lecture is sampled: one frame every ``interval`` seconds, more often while students arrive,
cut into segments that one Map iteration each extracts and recognizes."""

from dataclasses import dataclass

from classroom_common.models import Segment

ARRIVAL_DENSITY = 4  # frames sampled this many times as often during the arrival window
SEGMENT_SAMPLES = 12  # sampled frames per Map iteration: seconds of work for each of its two Lambdas
MAX_SAMPLES = 720  # bounds the work and the state's size however small the interval is set


@dataclass(frozen=True)
class Sampling:
    interval: float  # seconds between samples after the arrival window
    arrival: float  # seconds at the start sampled ARRIVAL_DENSITY times as often


def sample_times(duration: float, sampling: Sampling) -> list[float]:
    """Seconds into the video of each sampled frame: at the centre of each slice of ``interval``
    seconds (of ``interval / ARRIVAL_DENSITY`` during the arrival window), oldest first."""
    dense = sampling.interval / ARRIVAL_DENSITY
    arrival = min(sampling.arrival, duration)
    times = [dense * (i + 0.5) for i in range(int(arrival // dense))]
    start = dense * len(times)
    after = int((duration - start) // sampling.interval)
    times += [start + sampling.interval * (i + 0.5) for i in range(after)]
    if len(times) > MAX_SAMPLES:  # an interval too small for this video: evenly spread instead
        step = duration / MAX_SAMPLES
        times = [step * (i + 0.5) for i in range(MAX_SAMPLES)]
    return times or [duration / 2]


def sample_frames(frame_count: int, fps: float, sampling: Sampling) -> list[int]:
    """The frame index of each sampled time, distinct and in order."""
    duration = frame_count / fps
    indices = (min(frame_count - 1, int(t * fps)) for t in sample_times(duration, sampling))
    return sorted(set(indices))


def segments(indices: list[int], size: int = SEGMENT_SAMPLES) -> list[Segment]:
    """``indices`` cut into runs of ``size`` consecutive samples."""
    return [
        Segment(index=n, indices=indices[start : start + size])
        for n, start in enumerate(range(0, len(indices), size))
    ]
