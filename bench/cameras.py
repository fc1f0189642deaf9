"""``make bench``, real-camera part: classrooms as real cameras record them, ours beside face_recognition.

1. Videos: every condition of ``synthetic/cameras.py`` (ceiling camera, dim room, shaking phone, tilted
   heads, a hand or a book over a face, a class of 32), made in a temporary folder.
2. Ours: each video uploaded alone to a fresh local stack (one warm worker per function), so the CPU
   the ExtractFrames and RecognizeFaces workers spend (/proc, user + system) is that clip's; students
   named / expected, wrong names (a name of someone not in the video), unknown faces, the frames the
   run looked at (``frames_used``).
3. face_recognition's careful path, in this process, on the same sampled frames
   (``bench.classroom.reference_clip``: the FrameSamples frames of ``sample_indices``, full resolution,
   ``face_locations`` with ``number_of_times_to_upsample=1``, every face encoded, the nearest known face
   under the MatchThreshold, a name kept when seen in two frames); its CPU seconds per clip.
4. With ``--why``: each student's face in each sampled frame (``bench.per_face``): found or not, its
   distance to the student's own known face, the name it got.

One face encoding's time on this host is printed beside (before and after: the host is shared).
Writes bench-results/cameras.json.

    python -m bench.cameras [--only ceiling dim ...] [--why] [--out bench-results]
"""

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ("ExtractFramesFunction", "RecognizeFacesFunction")


def judged(named: list[str], unknown: int | None, video) -> dict:
    """A side's answer for ``video`` against who is in it."""
    return {
        "named": sorted(named),
        "found": len(set(named) & set(video.students)),
        "missed": sorted(set(video.students) - set(named)),
        "wrong": sorted(set(named) - set(video.students)),
        "unknown_faces": unknown,
    }


def recognition_of(deployment, arn: str) -> dict:
    """What RecognizeFaces answered in an execution (frames used, faces, unknown), {} if none."""
    output = deployment.client("stepfunctions").describe_execution(executionArn=arn).get("output") or "{}"
    try:
        return json.loads(output)["recognized"]["recognition"]
    except (KeyError, TypeError, ValueError):
        return {}


def run_ours(videos: dict) -> dict[str, dict]:
    """Each video uploaded alone to a fresh local stack: its outcome and the CPU its workers spent."""
    from bench.proc import cpu_seconds
    from devstack import runs, seeding
    from devstack.stack import LocalStack

    results = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalStack(workdir=Path(tmp), max_workers=1, warm_workers=1) as stack,
    ):
        print(seeding.seed(stack.deployment), file=sys.stderr)

        def cpu() -> float:
            return sum(cpu_seconds(p) for f in MEASURED for p in stack.pool(f).pids())

        for name, video in videos.items():
            print(f"cameras: ours, {name}…", file=sys.stderr)
            before = cpu()
            upload = runs.upload(stack.deployment, video.path, key=f"cameras/{name}.mp4")
            (outcome,) = runs.wait(stack.deployment, [upload], timeout=600)
            spent = cpu() - before
            recognition = recognition_of(stack.deployment, outcome.arn)
            results[name] = {
                "status": outcome.status,
                **judged([s["name"] for s in outcome.students], outcome.unknown_faces, video),
                "frames_used": recognition.get("frames_used"),
                "faces": recognition.get("faces"),
                "cpu_seconds": spent,
                "seconds": outcome.seconds,
                "error": outcome.error,
            }
    return results


def run_reference(videos: dict) -> dict[str, dict]:
    """face_recognition's careful path on each video's sampled frames, in this process."""
    from bench import baseline
    from bench.classroom import reference_clip
    from devstack import seeding
    from devstack.function_path import import_module
    from devstack.template import Template

    template = Template()
    frames = import_module(template.function("ExtractFramesFunction"), "frames")
    samples, tolerance = int(template.ref("FrameSamples")), float(template.ref("MatchThreshold"))
    baseline.warm_up()
    known = baseline.load_course_encodings(seeding.SAMPLE_ENCODINGS)
    results = {}
    for name, video in videos.items():
        print(f"cameras: face_recognition, {name}…", file=sys.stderr)
        ref = reference_clip(video.path, known, frames, samples, tolerance)
        results[name] = {
            **judged(ref["named"], ref["unknown_faces"], video),
            "cpu_seconds": ref["cpu_seconds"],
            "faces": ref["faces"],
            "frames": ref["frames"],
        }
    return results


def explain(videos: dict, ours: dict[str, dict]) -> dict[str, list[str]]:
    """``bench.per_face``'s table for each video: why each student was named or not."""
    from bench import per_face
    from classroom_vision.faces import load_models
    from classroom_vision.known_faces import from_course_pickle
    from devstack import seeding
    from devstack.template import Template

    template = Template()
    samples, threshold = int(template.ref("FrameSamples")), float(template.ref("MatchThreshold"))
    max_faces = int(template.ref("MaxFacesPerFrame"))
    load_models()
    known = from_course_pickle(seeding.SAMPLE_ENCODINGS.read_bytes())
    tables = {}
    for name, video in videos.items():
        frames = per_face.look(video, known, threshold, max_faces, samples)
        tables[name] = per_face.table(frames, video.students, known, used=ours[name].get("frames_used"))
    return tables


def measure(out: Path, names: list[str], why: bool = False, with_reference: bool = True) -> dict:
    """The whole real-camera part; writes ``out``/cameras.json and prints the table."""
    from bench import encoders
    from bench.host import machine, start_measuring
    from synthetic import cameras

    out.mkdir(parents=True, exist_ok=True)
    load_before, encoding_before, started = start_measuring()
    with tempfile.TemporaryDirectory(prefix="cameras-") as folder:
        made = time.perf_counter()
        videos = {}
        for name in names:
            print(f"cameras: making {name}…", file=sys.stderr)
            videos[name] = cameras.make(name, Path(folder))
        made = (time.perf_counter() - made) / len(names)
        ours = run_ours(videos)
        reference = run_reference(videos) if with_reference else {}
        tables = explain(videos, ours) if why else {}
        sizes = {name: video.path.stat().st_size for name, video in videos.items()}
    encoding_after = encoders.encode_ms()

    per_condition = [
        {
            "condition": name,
            "description": video.condition.description,
            "size": f"{video.condition.camera.width}x{video.condition.camera.height}",
            "kbps": video.condition.camera.kbps,
            "camera_fps": video.condition.camera.fps,
            "bytes": sizes[name],
            "students": video.students,
            "strangers": video.strangers,
            "ours": ours[name],
            "reference": reference.get(name),
            "why": tables.get(name),
        }
        for name, video in videos.items()
    ]
    results = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(load_before, encoding_before, encoding_after, started),
        "config": {
            "fps": cameras.FPS,
            "seconds": cameras.SECONDS,
            "gop": cameras.GOP,
            "b_frames": cameras.B_FRAMES,
            "preset": cameras.PRESET,
            "seconds_to_make_a_video": made,
        },
        "totals": {side: totals(per_condition, side) for side, _ in SIDES},
        "method": {
            "ours": "each video uploaded alone to a fresh local stack (one worker per function); CPU (user + "
            "system, /proc) of the ExtractFrames and RecognizeFaces workers over its run",
            "reference": "face_recognition 1.3 in this process: the FrameSamples frames of sample_indices, "
            "face_locations (HOG, full size, upsample 1), face_encodings of every face, the nearest known "
            "face under the MatchThreshold, names seen in >= 2 frames; time.process_time, decoding included",
        },
        "per_condition": per_condition,
    }
    (out / "cameras.json").write_text(json.dumps(results, indent=2, default=str))
    print_table(results, out)
    return results


SIDES = (("ours", "ours"), ("reference", "face_recognition, careful"))


def totals(per_condition: list[dict], side: str) -> dict | None:
    """A side's sums over the conditions (None when that side was not run)."""
    if any(c[side] is None for c in per_condition):
        return None
    return {
        "found": sum(c[side]["found"] for c in per_condition),
        "expected": sum(len(c["students"]) for c in per_condition),
        "wrong": sum(len(c[side]["wrong"]) for c in per_condition),
        "unknown_faces": sum(c[side]["unknown_faces"] or 0 for c in per_condition),
        "cpu_seconds_per_clip": sum(c[side]["cpu_seconds"] for c in per_condition) / len(per_condition),
    }


def _cells(side: dict | None, students: int, frames: bool) -> str:
    """One side's columns: named / expected, wrong names, unknown faces, (frames used,) CPU seconds."""
    if side is None:
        return f"{'-':>5}{'-':>6}{'-':>5}" + (f"{'-':>7}" if frames else "") + f"{'-':>7}"
    unknown = "-" if side["unknown_faces"] is None else side["unknown_faces"]
    used = f"{'-' if side.get('frames_used') is None else side['frames_used']:>7}" if frames else ""
    return (
        f"{side['found']:>3}/{students}{len(side['wrong']):>6}{unknown:>5}{used}{side['cpu_seconds']:>7.2f}"
    )


def print_table(results: dict, out: Path) -> None:
    from bench import encoders
    from bench.classroom import encoding_ms

    m = results["machine"]
    print(f"\n== real cameras ({results['when']}; {m['cpus']} cores, load average {m['load_before'][0]:.2f})")
    print(
        f"   one face encoding here (before / after): {encoding_ms(m, encoders.OURS)} ours, "
        f"{encoding_ms(m, encoders.DLIB)} dlib's"
    )
    print(
        f"   {'condition':<13}{'size':>10}{'kbit/s':>7} | {'ours':>5}{'wrong':>6}{'unkn':>5}{'frames':>7}"
        f"{'cpu s':>7} | {'f_r':>5}{'wrong':>6}{'unkn':>5}{'cpu s':>7}"
    )
    for c in results["per_condition"]:
        n = len(c["students"])
        print(
            f"   {c['condition']:<13}{c['size']:>10}{c['kbps']:>7} | {_cells(c['ours'], n, True)}"
            f" | {_cells(c['reference'], n, False)}"
        )
        for side, label in SIDES:
            s = c[side]
            if s is None:
                continue
            if s.get("status", "SUCCEEDED") != "SUCCEEDED":
                print(f"     {label}: {s['status']} {s.get('error')}")
            if s["missed"]:
                print(f"     {label} missed: {', '.join(s['missed'])}")
            if s["wrong"]:
                print(f"     {label} named who is not there: {', '.join(s['wrong'])}")
        if c["why"]:
            print("\n".join(c["why"]))
    for side, label in SIDES:
        t = results["totals"][side]
        if t is not None:
            print(
                f"   {label:<26} students {t['found']}/{t['expected']}, wrong names {t['wrong']}, "
                f"unknown faces {t['unknown_faces']}, CPU {t['cpu_seconds_per_clip']:.2f} s a clip"
            )
    print(f"\nwrote {out / 'cameras.json'}")


def main(argv: list[str] | None = None) -> int:
    from synthetic.cameras import CONDITIONS

    parser = argparse.ArgumentParser(
        prog="bench.cameras", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=list(CONDITIONS), help="these conditions only")
    parser.add_argument("--why", action="store_true", help="each student's face in each sampled frame")
    parser.add_argument("--ours-only", action="store_true", help="without face_recognition's path")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    measure(args.out, args.only or list(CONDITIONS), args.why, with_reference=not args.ours_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
