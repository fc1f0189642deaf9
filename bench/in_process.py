"""The recognition work alone — decode, detect, encode, match — per clip, in this process: the same
code the two Lambdas run (frames.Decoder.jpegs by batch, recognition.recognize_frames, the faces
followed across frames and the tracks named), without S3 or Lambda. Heavy imports stay inside the
function: the stack's workers re-import the bench's modules."""

import statistics
import time
from collections.abc import Callable
from pathlib import Path


def ours_in_process(
    clips: list[Path], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Median seconds of the work per clip over ``repeat`` rounds, timed by ``clock`` (wall time, or
    ``time.process_time`` for this process's CPU)."""
    from classroom_vision.faces import load_models
    from classroom_vision.known_faces import from_course_pickle
    from devstack import seeding
    from devstack.function_path import import_module
    from devstack.template import Template

    template = Template()
    frames = import_module(template.function("ExtractFramesFunction"), "frames")
    recognition = import_module(template.function("RecognizeFacesFunction"), "recognition")
    tracks = import_module(template.function("RecognizeFacesFunction"), "tracks")
    load_models()
    known = from_course_pickle(seeding.SAMPLE_ENCODINGS.read_bytes())
    samples_per_clip, threshold = int(template.ref("FrameSamples")), float(template.ref("MatchThreshold"))
    max_faces = int(template.ref("MaxFacesPerFrame"))

    def batch(clip: Path, tally, followed, pick) -> tuple[list[int], list[int]]:
        """The samples, and the frames decoded for those ``pick`` chose (as ExtractFrames reads them)."""
        with frames.opened(clip, frames.Limits()) as decoder:
            order = frames.sample_indices(decoder.info.frame_count, samples_per_clip)
            jpegs = decoder.jpegs(pick(order))

        def follow(i: int, faces: list, matches: list) -> None:
            followed.add(float(jpegs[i][0]), [f.box for f in faces], [f.encoding for f in faces], matches)

        load = lambda i: jpegs[i][1]  # noqa: E731
        recognition.recognize_frames(len(jpegs), load, known, threshold, max_faces, tally, on_frame=follow)
        followed.named(known, threshold)
        return order, [index for index, _ in jpegs]

    first = frames.FIRST_BATCH
    samples: dict[str, list[float]] = {c.name: [] for c in clips}
    for _ in range(repeat):
        for clip in clips:
            started, tally, followed = clock(), recognition.Tally(), tracks.Tracks()
            order, decoded = batch(clip, tally, followed, lambda order: order[:first])
            rest = frames.still_to_decode(order[first:], decoded)  # as ExtractFrames lists them
            if not tally.stable and rest:
                batch(clip, tally, followed, lambda _, rest=rest: rest)
            samples[clip.name].append(clock() - started)
    return {name: statistics.median(values) for name, values in samples.items()}
