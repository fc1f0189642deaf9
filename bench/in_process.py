"""The recognition work alone — decode, detect, encode, match — per clip, in this process: the same
code the two Lambdas run (frames.Decoder.jpegs by batch, recognition.recognize_frames, the faces
followed across frames and the answer they give), without S3 or Lambda. Heavy imports stay inside the
functions: the stack's workers re-import the bench's modules."""

import statistics
import time
from collections.abc import Callable
from pathlib import Path


def recognizer() -> Callable[[Path], object]:
    """A function giving a clip's ``Recognition`` as the pipeline answers it (the course's known faces,
    the template's FrameSamples, MatchThreshold and MaxFacesPerFrame), the models loaded."""
    from classroom_common.models import Attendance
    from classroom_vision.faces import load_models
    from classroom_vision.known_faces import from_course_pickle
    from devstack import seeding
    from devstack.function_path import import_module
    from devstack.template import Template

    template = Template()
    frames = import_module(template.function("ExtractFramesFunction"), "frames")
    recognition = import_module(template.function("RecognizeFacesFunction"), "recognition")
    tracks = import_module(template.function("RecognizeFacesFunction"), "tracks")
    sightings = import_module(template.function("RecognizeFacesFunction"), "attendance")
    load_models()
    known = from_course_pickle(seeding.SAMPLE_ENCODINGS.read_bytes())
    samples_per_clip, threshold = int(template.ref("FrameSamples")), float(template.ref("MatchThreshold"))
    max_faces = int(template.ref("MaxFacesPerFrame"))

    def recognize(clip: Path):
        tally, followed, seen = recognition.Tally(), tracks.Tracks(), Attendance()

        def batch(pick) -> tuple[list[int], list[int]]:
            """The samples, and the frames decoded for those ``pick`` chose (as ExtractFrames reads them)."""
            with frames.opened(clip, frames.Limits()) as decoder:
                order = frames.sample_indices(decoder.info.frame_count, samples_per_clip)
                fps, jpegs = decoder.info.fps, decoder.jpegs(pick(order))

            def follow(i: int, faces: list, matches: list) -> None:
                when = jpegs[i][0] / fps
                sightings.record(seen, when, (m.name for m in matches if m.name))
                followed.add(when, [f.box for f in faces], [f.encoding for f in faces], matches)

            recognition.recognize_frames(
                len(jpegs), lambda i: jpegs[i][1], known, threshold, max_faces, tally, on_frame=follow
            )
            return order, [index for index, _ in jpegs]

        first = frames.FIRST_BATCH
        order, decoded = batch(lambda order: order[:first])
        rest = frames.still_to_decode(order[first:], decoded)  # as ExtractFrames lists them
        if not tally.stable and rest:
            batch(lambda _: rest)
        return followed.answer(tally, seen, known, threshold)

    return recognize


def ours_in_process(
    clips: list[Path], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Median seconds of the work per clip over ``repeat`` rounds, timed by ``clock`` (wall time, or
    ``time.process_time`` for this process's CPU)."""
    recognize = recognizer()
    samples: dict[str, list[float]] = {c.name: [] for c in clips}
    for _ in range(repeat):
        for clip in clips:
            started = clock()
            recognize(clip)
            samples[clip.name].append(clock() - started)
    return {name: statistics.median(values) for name, values in samples.items()}
