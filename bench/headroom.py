"""Headroom at Lambda's CPU share: the worst cases of the two vision functions run through the local stack
with every invocation held to the CPU its MemorySize buys on Lambda (``devstack.cpu_share``: 0.58 of a
core at 1,024 MB), each state's time set against its function's ``Timeout``.

The worst cases (issue 22):

- ExtractSegment: one segment of a 4K lecture (3840x2160, 30 fps, x264 at 12 Mbit/s with a camera's
  noise) whose keyframes come just after each sample, ``--gop`` seconds apart: each of the segment's 12
  samples is decoded from a keyframe ``gop`` seconds before it (at 10 s, 300 4K frames a sample: a
  camera's long GOP; the lecture is sampled every ``gop`` seconds so the segment is 12 GOPs long).
- RecognizeSegment: the same 12 frames, each a class of 120 faces (``MaxFacesPerFrame``), 64-100 px wide.

Each is run at the share and with whole host cores (``--no-share``), with the timeouts lifted so that a
case slower than its ``Timeout`` is measured rather than cut off; each in a process and a stack of its own.
The host's speed is given as one face encoding's time, before and after. Writes bench-results/headroom.json.

    python -m bench.headroom [--gop 10] [--out bench-results] [--only share|whole]
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from bench.proc import cpu_seconds, reset_peak, vm_hwm_mb
from devstack import history, runs
from devstack.cpu_share import lambda_share
from devstack.seeding import seed
from devstack.stack import LocalStack
from devstack.template import Template

ROOT = Path(__file__).resolve().parent.parent
SIZE = (3840, 2160)
FPS = 30
SAMPLES = 12  # a segment's samples (functions/extract_frames/lecture.py: SEGMENT_SAMPLES)
BITRATE = "12M"  # a 4K IP camera's usual 8-16 Mbit/s
VISION = ("ExtractFramesFunction", "RecognizeFacesFunction")
STATES = {"ExtractSegment": "ExtractFramesFunction", "RecognizeSegment": "RecognizeFacesFunction"}


def class_of_120(seed_: int = 0) -> np.ndarray:
    """A 4K classroom of 120 people: 10 rows of 12, faces 64 px wide at the back to 100 px at the front."""
    from synthetic.scenes import UNKNOWNS, Placement, compose

    rng = np.random.default_rng(seed_)
    width, height = SIZE
    faces = []
    for row in range(10):
        w, y = 64 + 4 * row, 230 + 200 * row
        for column in range(12):
            x = (column + 0.5) * width / 12 + rng.uniform(-40, 40)
            source = UNKNOWNS[int(rng.integers(len(UNKNOWNS)))]
            faces.append(Placement(source, w * rng.uniform(0.95, 1.05), (x, y), bool(rng.random() < 0.5)))
    return compose(width, height, faces, seed_).frame


def make_lecture(path: Path, gop: float) -> Path:
    """12 GOPs of the class at 4K, a keyframe just after each sample time ((i + 0.5) * gop)."""
    if path.exists():
        return path
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        still = Path(tmp) / "class.png"
        cv2.imwrite(str(still), class_of_120())
        after = gop / 2 + 1.5 / FPS  # the frame after each sample's
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-loop", "1"]
        command += ["-framerate", str(FPS), "-i", str(still), "-t", str(SAMPLES * gop)]
        command += ["-vf", "noise=alls=6:allf=t", "-c:v", "libx264", "-preset", "superfast"]
        command += ["-b:v", BITRATE, "-maxrate", BITRATE, "-bufsize", "24M", "-pix_fmt", "yuv420p"]
        command += ["-g", "100000", "-sc_threshold", "0"]
        command += ["-force_key_frames", f"expr:gte(t,n_forced*{gop}+{after})", str(Path(tmp) / path.name)]
        subprocess.run(command, check=True)  # noqa: S603 (the wheel's ffmpeg, our arguments)
        shutil.move(Path(tmp) / path.name, path)  # whole or not at all: a cut-off encode is not reused
    return path


def template(gop: float) -> Template:
    """The template as deployed but for the lecture's sampling: every ``gop`` seconds, one segment."""
    return Template(
        parameters={
            "MaxVideoBytes": str(5 * 1024**3),
            "LectureSeconds": "60",
            "LectureSampleSeconds": str(gop),
            "LectureArrivalSeconds": "0",
            "LectureConcurrency": "1",
        }
    )


def one(video: Path, gop: float, share: bool) -> dict:
    """The lecture through a fresh stack, held to Lambda's share or not: each state's seconds."""
    t = template(gop)
    specs = t.functions()
    lifted = {logical_id: 900 for logical_id in VISION}
    with (
        tempfile.TemporaryDirectory(prefix="classroom-headroom-") as workdir,
        LocalStack(
            workdir=Path(workdir), template=t, max_workers=1, timeouts=lifted, cpu_share=share
        ) as stack,
    ):
        seed(stack.deployment)
        pids = {f: stack.pool(f).pids() for f in VISION}
        before = {f: sum(cpu_seconds(p) for p in ps) for f, ps in pids.items()}
        for ps in pids.values():
            for pid in ps:
                reset_peak(pid)
        upload = runs.upload(stack.deployment, video, key=video.name)
        (outcome,) = runs.wait(stack.deployment, [upload], timeout=3600)
        cpu = {f: sum(cpu_seconds(p) for p in ps) - before[f] for f, ps in pids.items()}
        peak = {f: max(vm_hwm_mb(p) or 0.0 for p in ps) for f, ps in pids.items()}
        steps, _end = history.history(stack.deployment, outcome.arn)
        output = stack.client("stepfunctions").describe_execution(executionArn=outcome.arn).get("output")
    recognition = (json.loads(output) if output else {}).get("recognized", {}).get("recognition", {})
    seconds = {
        s.name: max((c.seconds or 0.0) for c in s.calls) for s in steps if s.name in STATES and s.calls
    }
    return {
        "share": share,
        "status": outcome.status,
        "error": outcome.error,
        "faces_encoded": recognition.get("faces"),
        "frames_used": recognition.get("frames_used"),
        "faces_not_encoded": recognition.get("faces_not_encoded"),
        "states": {
            state: {
                "seconds": round(seconds[state], 1),
                "timeout": specs[STATES[state]].timeout,
                "headroom": round(specs[STATES[state]].timeout / seconds[state], 2),
                "vcpus": round(lambda_share(specs[STATES[state]].memory), 3) if share else None,
                "memory_mb": specs[STATES[state]].memory,
            }
            for state in STATES
            if state in seconds
        },
        "cpu_seconds": {f.removesuffix("Function"): round(v, 1) for f, v in cpu.items()},
        "peak_rss_mib": {f.removesuffix("Function"): round(v) for f, v in peak.items()},
    }


def keyframe_gaps(video: Path) -> list[int]:
    from bench.decode_cost import keyframes

    found = keyframes(video)
    return [b - a for a, b in itertools.pairwise(found)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gop", type=float, default=10.0, help="seconds between keyframes (and samples)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--only", choices=("share", "whole"))
    parser.add_argument("--one", choices=("share", "whole"), help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args(argv)
    video = make_lecture(args.out / f"lecture-4k-class120-gop{args.gop:g}s.mp4", args.gop)
    if args.one:
        print(json.dumps(one(video, args.gop, args.one == "share")))
        return 0
    from bench.encoders import encode_ms, timing_line

    started, load = time.perf_counter(), os.getloadavg()
    encoding_before = encode_ms()
    results = []
    for mode in [args.only] if args.only else ["share", "whole"]:
        child = subprocess.run(  # noqa: S603 (this interpreter, this module)
            [
                sys.executable,
                "-m",
                "bench.headroom",
                "--gop",
                str(args.gop),
                "--out",
                str(args.out),
                "--one",
                mode,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    encoding_after = encode_ms()
    report = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "video": {
            "name": video.name,
            "bytes": video.stat().st_size,
            "gop_seconds": args.gop,
            "fps": FPS,
            "size": SIZE,
            "keyframe_gaps": sorted(set(keyframe_gaps(video))),
        },
        "host": {
            "cpus": os.cpu_count(),
            "load_before": load,
            "load_after": os.getloadavg(),
            "encoding_before": timing_line(encoding_before),
            "encoding_after": timing_line(encoding_after),
            "bench_seconds": round(time.perf_counter() - started),
        },
        "runs": results,
    }
    (args.out / "headroom.json").write_text(json.dumps(report, indent=2))
    print(
        f"{video.name} ({video.stat().st_size / 2**20:.0f} MiB, "
        f"keyframe gaps {report['video']['keyframe_gaps']} frames)"
    )
    for r in results:
        mode = "at Lambda's share" if r["share"] else "whole cores"
        print(
            f"  {mode}: {r['status']}, {r['faces_encoded']} faces in {r['frames_used']} frames; "
            f"peak RSS {r['peak_rss_mib']} MiB; CPU {r['cpu_seconds']} s"
        )
        for state, s in r["states"].items():
            print(
                f"    {state:<17} {s['seconds']:>6.1f} s of {s['timeout']} s Timeout: "
                f"headroom {s['headroom']}x"
                + (f" at {s['vcpus']} vCPU ({s['memory_mb']} MB)" if s["vcpus"] else "")
            )
    print(
        f"  host: one encoding {report['host']['encoding_before']} before, "
        f"{report['host']['encoding_after']} after; load {load[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
