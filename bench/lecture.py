"""`make bench` (second part): one 60-minute lecture and one short clip through the local stack.

For each video, in a process of its own (a fresh stack, so each figure is that video's alone): the
execution's wall time, the peak resident memory (VmHWM, reset once the workers are warm) of the
ExtractFrames and RecognizeFaces workers, the most bytes in the workers' temporary directory at any
time (polled), the bytes ExtractFrames read from S3 against the video's size, the Map's iterations,
and Lambda GB-seconds: each function's CPU seconds in its workers times its MemorySize (what a Lambda
with a whole core would bill; at 1024 MB a Lambda has about 0.58 vCPU, so up to 1.7x that), and, for
comparison, the invocations' durations in the history times MemorySize (which on two local cores
includes waiting for a free worker). Writes bench-results/lecture.json.

    python -m bench.lecture [--minutes 60] [--out bench-results]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.proc import cpu_seconds, reset_peak, vm_hwm_mb
from devstack import history, runs
from devstack.seeding import seed
from devstack.stack import LocalStack
from devstack.template import Template

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "sample-classroom" / "videos"
MEASURED = ("ExtractFramesFunction", "RecognizeFacesFunction")


def make_lecture(path: Path, minutes: int) -> Path:
    """The tests' lecture: an empty room, one student in the middle 20 minutes, one from minute 30."""
    from synthetic.clips import still, write_lecture

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        people = [
            (still(VIDEOS / "test_0.mp4", 24), 1200.0, 2400.0),
            (still(VIDEOS / "test_1.mp4", 31), 1800.0, 3600.0),
        ]
        write_lecture(path, minutes, people)
    return path


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def function_of_state() -> dict[str, str]:
    """Task state name -> the function's logical id, inner Map states included."""
    template = Template()
    definition = json.loads(
        template.state_machine(next(iter(template.of_type("AWS::Serverless::StateMachine"))))[0]
    )
    found: dict[str, str] = {}

    def walk(states: dict) -> None:
        for name, state in states.items():
            function = state.get("Parameters", {}).get("FunctionName", "")
            if function:
                found[name] = function
            if state["Type"] == "Map":
                walk(state["ItemProcessor"]["States"])

    walk(definition["States"])
    arns = {spec.arn: logical_id for logical_id, spec in template.functions().items()}
    return {name: arns.get(arn, arn) for name, arn in found.items()}


def one(video: Path) -> dict:
    """Run one video on a fresh local stack and measure it."""
    tmp = Path(tempfile.mkdtemp(prefix="classroom-bench-tmp-"))
    os.environ["TMPDIR"] = str(tmp)  # the workers' tempfile directory
    template = Template(parameters={"MaxVideoBytes": str(5 * 1024**3)})
    memory = {logical_id: spec.memory for logical_id, spec in template.functions().items()}
    workdir = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    with LocalStack(workdir=workdir, template=template, warm_workers=2) as stack:
        seed(stack.deployment)
        pids = {m: stack.pool(m).pids() for m in MEASURED}
        every = {m: stack.pool(m).pids() for m in memory}
        cpu_before = {m: sum(cpu_seconds(p) for p in ps) for m, ps in every.items()}
        warm = {m: max(vm_hwm_mb(p) or 0.0 for p in ps) for m, ps in pids.items()}
        for ps in pids.values():
            for pid in ps:
                reset_peak(pid)
        peak_tmp, done = 0, threading.Event()

        def poll() -> None:
            nonlocal peak_tmp
            while not done.is_set():
                peak_tmp = max(peak_tmp, dir_bytes(tmp))
                time.sleep(0.05)

        poller = threading.Thread(target=poll)
        poller.start()
        started = time.perf_counter()
        upload = runs.upload(stack.deployment, video, key=video.name)
        (outcome,) = runs.wait(stack.deployment, [upload], timeout=1800)
        wall = time.perf_counter() - started
        done.set()
        poller.join()
        peak = {m: max(vm_hwm_mb(p) or 0.0 for p in ps) for m, ps in pids.items()}
        cpu = {m: sum(cpu_seconds(p) for p in ps) - cpu_before[m] for m, ps in every.items()}
        steps, _end = history.history(stack.deployment, outcome.arn)
        log = (workdir / "logs" / "ExtractFramesFunction.log").read_text().splitlines()
    reads = [json.loads(line) for line in log if '"video read"' in line]
    functions = function_of_state()
    gb_seconds = sum(
        (call.seconds or 0.0) * memory[functions[s.name]] / 1024 for s in steps for call in s.calls
    )
    maps = [s for s in steps if s.type == "Map"]
    return {
        "video": video.name,
        "bytes": video.stat().st_size,
        "status": outcome.status,
        "students": [s["name"] for s in outcome.students],
        "attendance": outcome.attendance,
        "execution_seconds": round(outcome.seconds, 2),
        "wall_seconds": round(wall, 2),
        "map_iterations": maps[0].iterations if maps else 0,
        "invocations": sum(len(s.calls) for s in steps),
        "lambda_gb_seconds_history": round(gb_seconds, 2),
        "lambda_gb_seconds": round(sum(cpu[m] * memory[m] / 1024 for m in memory), 2),
        "cpu_seconds": {m.removesuffix("Function"): round(v, 2) for m, v in cpu.items()},
        "warm_rss_mib": {m.removesuffix("Function"): round(v) for m, v in warm.items()},
        "peak_rss_mib": {m.removesuffix("Function"): round(v) for m, v in peak.items()},
        "peak_tmp_bytes": peak_tmp,
        "s3_bytes_read": sum(r["bytes_read"] for r in reads),
        "s3_get_requests": sum(r["requests"] for r in reads),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child process: one video
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    lecture = make_lecture(args.out / f"lecture-{args.minutes}min.mp4", args.minutes)
    results = []
    for video in (VIDEOS / "test_0.mp4", lecture):
        child = subprocess.run(  # noqa: S603 (this interpreter, this module, our own files)
            [sys.executable, "-m", "bench.lecture", "--one", str(video)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    (args.out / "lecture.json").write_text(json.dumps(results, indent=2))
    print("lecture vs short clip on the local stack (each alone, on a fresh stack):")
    for r in results:
        peak, warm = r["peak_rss_mib"], r["warm_rss_mib"]
        print(
            f"  {r['video']:<22} {r['status']:<9} {r['execution_seconds']:>7.1f} s  "
            f"{r['lambda_gb_seconds']:>6.1f} GB-s  {r['invocations']:>3} invocations  "
            f"{r['map_iterations']:>2} Map iterations  "
            f"peak RSS extract {peak['ExtractFrames']} MiB (warm {warm['ExtractFrames']}), "
            f"recognize {peak['RecognizeFaces']} MiB (warm {warm['RecognizeFaces']}); "
            f"temporary files peak {r['peak_tmp_bytes']} B; read {r['s3_bytes_read'] / 2**20:.1f} of "
            f"{r['bytes'] / 2**20:.1f} MiB in {r['s3_get_requests']} GETs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
