"""``make bench``: the course workload through the local stack, and the course baseline beside it.

1. Workload: the 8 sample clips cycled to 100 uploads (test_0.mp4 … test_100.mp4), all at
   once, on a fresh local stack; accuracy against the course mapping, throughput, latency
   (execution start -> stop), seconds per state from the execution histories, and the peak
   memory (VmHWM) of the RecognizeFaces worker processes.
2. Ours per clip: each of the 8 clips alone through the same stack (no queueing), the sum
   of its ExtractFrames and RecognizeFaces task durations from the execution history.
3. Baseline per clip: the course's loop (ffmpeg -r 1, face_recognition) on the same 8 clips,
   in this process, after the stack has stopped; extrapolated to the 100 uploads.
4. Ours per clip in process: the work alone (decode, detect, encode, match), without S3 or Lambda.
5. One face encoding on each path (dlib's, ours on OpenCV's dnn, onnxruntime), before and after,
   and what decoding costs per clip (bench/decode_cost.py).
6. The classroom workload on a fresh stack, face_recognition's default beside (bench/classroom.py;
   alone: ``--only classroom``).

The in-process parts run as the RecognizeFaces Lambda does: OpenCV with the threads its memory gives.

Writes bench-results/bench.json, latency.png and classroom.json and prints pass/fail lines.
Heavy imports stay inside functions: the stack's workers are spawned and re-import this module.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.host import machine, memory_target
from bench.in_process import ours_in_process
from bench.proc import vm_hwm_mb
from devstack import history, runs, seeding, workload
from devstack.deployment import Deployment

ROOT = Path(__file__).resolve().parent.parent
TASKS = ("ExtractFrames", "RecognizeFaces", "LookupStudents", "WriteCsv")
WORK_STATES = ("ExtractFrames", "ExtractMoreFrames", "RecognizeFaces")  # decode, detect, encode, match
TARGET_WORKLOAD_RATIO = 4.0  # the whole workload, the baseline as a loop / ours, every video correct
TARGET_RATIO = 4.0  # recognition work per clip, baseline / ours


def step_seconds(deployment: Deployment, arns: list[str]) -> tuple[dict[str, list[float]], dict[str, dict]]:
    """Durations per state over the executions, and each execution's start and stop."""
    per_state: dict[str, list[float]] = {}
    bounds = {}
    sfn = deployment.client("stepfunctions")
    for arn in arns:
        steps, _ = history.history(deployment, arn)
        for step in steps:
            if step.seconds is not None:
                per_state.setdefault(step.name, []).append(step.seconds)
        described = sfn.describe_execution(executionArn=arn)
        bounds[arn] = {"start": described["startDate"], "stop": described.get("stopDate")}
    return per_state, bounds


def summarize_steps(per_state: dict[str, list[float]]) -> dict[str, dict]:
    total = sum(sum(v) for v in per_state.values()) or 1.0
    return {
        name: {
            "count": len(v),
            "sum": sum(v),
            "mean": statistics.fmean(v),
            "p95": workload.percentile(v, 95),
            "share": sum(v) / total,
        }
        for name, v in sorted(per_state.items(), key=lambda kv: -sum(kv[1]))
    }


def run_workload(stack, count: int, mapping: dict, clips: list[Path]) -> dict:
    deployment = stack.deployment
    jobs = workload.jobs_for(clips, count, mapping)
    result = workload.run(deployment, jobs, mapping, progress=True)
    arns = [o.arn for o in result.outcomes]
    per_state, bounds = step_seconds(deployment, arns)
    stops = [b["stop"] for b in bounds.values() if b["stop"]]
    completion = sorted((s - result.started).total_seconds() for s in stops)
    starts = sorted((b["start"] - result.started).total_seconds() for b in bounds.values())
    return {
        "jobs": [{"key": j.key, "clip": j.path.name} for j in jobs],
        "report": result.report.to_dict(),
        "wall_to_last_stop": max(completion) if completion else None,
        "latencies": [o.seconds for o in result.outcomes],
        "completion": completion,
        "starts": starts,
        "steps": summarize_steps(per_state),
        "started": result.started.isoformat(),
    }


def memory(stack) -> dict[str, dict]:
    """VmHWM of every function's live workers."""
    out = {}
    for logical_id, spec in stack.template.functions().items():
        pids = stack.pools[spec.name].pids()
        peaks = {pid: vm_hwm_mb(pid) for pid in pids}
        known = [p for p in peaks.values() if p is not None]
        out[logical_id.removesuffix("Function")] = {
            "pids": pids,
            "vm_hwm_mb": [peaks[p] for p in pids],
            "peak_mb": max(known) if known else None,
            "invocations": stack.pools[spec.name].invocations,
        }
    return out


def ours_per_clip(deployment: Deployment, clips: list[Path], repeat: int) -> dict[str, dict]:
    """Each clip alone through the stack, ``repeat`` times: median task seconds per clip."""
    samples: dict[str, dict[str, list[float]]] = {c.name: {} for c in clips}
    work: dict[str, list[float]] = {c.name: [] for c in clips}
    correct: dict[str, list] = {c.name: [] for c in clips}
    for round_ in range(repeat):
        for clip in clips:
            upload = runs.upload(deployment, clip, key=f"bench-per-clip/{round_}/{clip.name}")
            (outcome,) = runs.wait(deployment, [upload], timeout=300, poll=0.05)
            steps, _ = history.history(deployment, outcome.arn)
            for step in steps:
                if step.seconds is not None:
                    samples[clip.name].setdefault(step.name, []).append(step.seconds)
            work[clip.name].append(sum(step.seconds or 0.0 for step in steps if step.name in WORK_STATES))
            correct[clip.name].append(outcome.students)
    result = {}
    for name, per_state in samples.items():
        med = {state: statistics.median(v) for state, v in per_state.items()}
        result[name] = {
            "seconds": statistics.median(work[name]),
            "samples": work[name],
            "states": med,
            "students": correct[name][-1],
        }
    return result


def baseline_per_clip(clips: list[Path], repeat: int) -> dict[str, dict]:
    from bench import baseline

    baseline.warm_up()
    known = baseline.load_course_encodings(seeding.SAMPLE_ENCODINGS)
    binary = baseline.ffmpeg()
    results: dict[str, dict] = {}
    for _ in range(repeat):
        for clip in clips:
            r = baseline.recognize_clip(clip, known, binary)
            entry = results.setdefault(clip.name, {"samples": [], "decode": [], "name": r.name})
            entry["samples"].append(r.seconds)
            entry["decode"].append(r.decode_seconds)
            entry["frames_extracted"] = r.frames_extracted
            entry["frames_examined"] = r.frames_examined
    for entry in results.values():
        entry["seconds"] = statistics.median(entry["samples"])
        entry["decode_seconds"] = statistics.median(entry["decode"])
    return results


def chart(path: Path, work: dict, per_clip: list[dict], baseline_completion: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    n = len(work["completion"])

    def ecdf(ax, values, **kw):
        xs = sorted(values)
        ax.step(xs, [100 * (i + 1) / len(xs) for i in range(len(xs))], where="post", **kw)

    ecdf(left, work["completion"], label="ours: done, s after the burst began", color="tab:blue", lw=2)
    ecdf(left, work["latencies"], label="ours: latency, execution start → stop", color="tab:blue", ls="--")
    ecdf(
        left,
        baseline_completion,
        label="baseline loop: done, s after the burst began (extrapolated)",
        color="tab:red",
        lw=2,
    )
    target = baseline_completion[-1] / TARGET_WORKLOAD_RATIO
    label = f"target: all {n} in the loop's time / {TARGET_WORKLOAD_RATIO:.0f} ({target:.1f} s)"
    left.axvline(target, color="grey", ls=":", label=label)
    left.set_xlabel("seconds")
    left.set_ylabel(f"% of the {n} uploads")
    left.set_title(f"{n} uploads at once: latency distribution")
    left.grid(alpha=0.3)
    left.legend(loc="upper left", fontsize=8)

    names = [c["clip"].removesuffix(".mp4") for c in per_clip]
    x = range(len(names))
    bars = [
        ("baseline", "baseline_seconds", "tab:red"),
        ("ours, work in process", "ours_work_seconds", "tab:blue"),
        ("ours through the stack (S3, Lambda)", "ours_seconds", "lightsteelblue"),
    ]
    for n, (label, field, colour) in enumerate(bars):
        right.bar(
            [i + (n - 1) * 0.27 for i in x], [c[field] for c in per_clip], 0.27, label=label, color=colour
        )
    right.set_xticks(list(x), names, rotation=45)
    right.set_ylabel("seconds")
    right.set_title("recognition work per clip (median)")
    right.grid(alpha=0.3, axis="y")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def label_of(name: str | None, students: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    return students.get(name) if name else None


@dataclass
class Measured:
    """What the first part measured, before anything is compared."""

    clips: list[Path]
    mapping: dict[str, tuple[str, str]]
    work: dict  # the burst (run_workload)
    ours: dict[str, dict]  # each clip alone through the stack (ours_per_clip)
    memory: dict[str, dict]  # the workers' peaks after the burst and the rounds
    baseline: dict[str, dict]
    work_in_process: dict[str, float]
    decoding: list  # decode_cost.DecodeCost per clip
    load_before: tuple
    encoding_before: dict
    started: float  # time.perf_counter() when the bench began


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="uploads in the workload (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per function (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="per-clip rounds, median taken (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--only", choices=["classroom"], help="run only this part (bench/classroom.py)")
    return parser.parse_args(argv)


def measurements(args: argparse.Namespace) -> Measured:
    """The workload and the per-clip rounds on a fresh stack, then the baseline, the work in process
    and decoding, each clip ``args.repeat`` times; progress on stderr."""
    from bench import decode_cost, encoders
    from devstack.stack import LocalStack
    from devstack.template import Template

    # This process's encoder (the timings and the in-process work) gets the threads RecognizeFaces gets.
    memory_mb = Template().function("RecognizeFacesFunction").memory
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(memory_mb))
    mapping = workload.read_mapping(seeding.SAMPLES / "mapping")
    clips = workload.clips(seeding.SAMPLE_VIDEOS)
    load_before = os.getloadavg()
    started = time.perf_counter()
    encoding_before = encoders.encode_ms()
    print(
        f"load average before: {load_before[0]:.2f} on {os.cpu_count()} cores; "
        f"one face encoding here now: {encoders.timing_line(encoding_before)}",
        file=sys.stderr,
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalStack(workdir=Path(tmp), max_workers=args.workers, warm_workers=args.workers) as stack,
    ):
        print(seeding.seed(stack.deployment), file=sys.stderr)
        print(f"workload: {args.count} uploads at once…", file=sys.stderr)
        work = run_workload(stack, args.count, mapping, clips)
        print(f"ours per clip: the {len(clips)} clips one at a time, {args.repeat}×…", file=sys.stderr)
        ours = ours_per_clip(stack.deployment, clips, args.repeat)
        peaks = memory(stack)
    print(f"baseline per clip: the {len(clips)} clips, {args.repeat}×…", file=sys.stderr)
    base = baseline_per_clip(clips, args.repeat)
    print(f"ours per clip in process: the {len(clips)} clips, {args.repeat}×…", file=sys.stderr)
    work_in_process = ours_in_process(clips, args.repeat)
    print(f"decoding: the {len(clips)} clips, {args.repeat}×…", file=sys.stderr)
    decoding = decode_cost.measure_clips(clips, args.repeat)
    return Measured(
        clips,
        mapping,
        work,
        ours,
        peaks,
        base,
        work_in_process,
        decoding,
        load_before,
        encoding_before,
        started,
    )


def per_clip_rows(measured: Measured) -> list[dict]:
    """Each clip: ours through the stack and in process beside the baseline, each judged."""
    students = {s["name"]: (s["major"], s["year"]) for s in json.loads(seeding.SAMPLE_STUDENTS.read_text())}
    rows = []
    for clip in measured.clips:
        expected = measured.mapping.get(clip.name)
        ours, base = measured.ours[clip.name], measured.baseline[clip.name]
        ours_got = [(s["major"], s["year"]) for s in ours["students"]]
        base_got = label_of(base["name"], students)
        rows.append(
            {
                "clip": clip.name,
                "expected": expected,
                "ours_seconds": ours["seconds"],
                "ours_work_seconds": measured.work_in_process[clip.name],
                "ours_states": ours["states"],
                "ours_correct": workload.Check(clip.name, expected, ours_got, "SUCCEEDED").correct,
                "baseline_seconds": base["seconds"],
                "baseline_decode_seconds": base["decode_seconds"],
                "baseline_name": base["name"],
                "baseline_frames": [base["frames_examined"], base["frames_extracted"]],
                "baseline_correct": workload.Check(
                    clip.name, expected, [base_got] if base_got else [], "SUCCEEDED"
                ).correct,
            }
        )
    return rows


def baseline_loop(jobs: list[dict], per_clip: list[dict]) -> list[float]:
    """The baseline as one loop over the workload's uploads: when each one is done."""
    base_by_clip = {c["clip"]: c["baseline_seconds"] for c in per_clip}
    done, elapsed = [], 0.0
    for job in jobs:
        elapsed += base_by_clip[job["clip"]]
        done.append(elapsed)
    return done


def work_estimate(jobs: list[dict], ours: dict[str, dict], workers: int) -> dict:
    """The burst's states without the queueing (each clip's quiet medians times its uploads), and the
    least time they take on this machine's cores."""
    per_state: dict[str, float] = {}
    for job in jobs:
        for state, seconds in ours[job["clip"]]["states"].items():
            per_state[state] = per_state.get(state, 0.0) + seconds
    cores = os.cpu_count() or 1
    bound = max(
        sum(per_state.values()) / min(cores, workers * len(TASKS)),
        *(per_state.get(t, 0.0) / min(cores, workers) for t in TASKS),
    )
    return {
        "per_state": per_state,
        "lower_bound_seconds": bound,
        "note": "sum over the uploads of each clip's per-state seconds when run alone; the bound "
        "divides by the cores (or the workers per function, if fewer)",
    }


def compare(args: argparse.Namespace, measured: Measured) -> dict:
    """Everything bench.json holds: ratios, targets, and the measurements they come from."""
    from bench import decode_cost, encoders

    work, per_clip = measured.work, per_clip_rows(measured)
    ours_total = sum(c["ours_seconds"] for c in per_clip)
    base_total = sum(c["baseline_seconds"] for c in per_clip)
    ratio = base_total / ours_total if ours_total else float("inf")
    work_total = sum(c["ours_work_seconds"] for c in per_clip)
    work_ratio = base_total / work_total if work_total else float("inf")
    base_loop = baseline_loop(work["jobs"], per_clip)
    report = work["report"]
    workload_ratio = base_loop[-1] / report["wall_seconds"] if report["wall_seconds"] else float("inf")
    targets = [
        {
            "target": f"{args.count} uploads end to end >= {TARGET_WORKLOAD_RATIO:.0f}x faster than the "
            "baseline loop, every one correct",
            "value": f"{workload_ratio:.2f}x ({report['wall_seconds']:.1f} s vs {base_loop[-1]:.1f} s), "
            f"{report['correct']}/{report['videos']} correct",
            "passed": workload_ratio >= TARGET_WORKLOAD_RATIO and report["correct"] == report["videos"],
        },
        {
            "target": f"recognition work per clip >= {TARGET_RATIO:.0f}x faster than the baseline",
            "value": f"{work_ratio:.2f}x (in process; {ratio:.2f}x with S3 and Lambda overhead)",
            "passed": work_ratio >= TARGET_RATIO,
        },
        memory_target("recognize_faces peak memory", measured.memory["RecognizeFaces"]["peak_mb"]),
    ]
    return {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(
            measured.load_before, measured.encoding_before, encoders.encode_ms(), measured.started
        ),
        "config": {"count": args.count, "workers": args.workers, "repeat": args.repeat},
        "workload": {k: v for k, v in work.items() if k != "jobs"},
        "memory": measured.memory,
        "per_clip": per_clip,
        "ours_per_clip_method": "median over rounds of the ExtractFrames (+ ExtractMoreFrames) + "
        "RecognizeFaces task durations from the execution history, each clip run alone through the stack",
        "baseline": {
            "accuracy": sum(1 for c in per_clip if c["baseline_correct"]) / len(per_clip),
            "per_clip_total": base_total,
            "loop_over_workload_seconds": base_loop[-1] if base_loop else None,
            "note": "the baseline ran on the 8 distinct clips; its time over the workload is the sum "
            "of each upload's clip time (a sequential loop), not measured",
        },
        "ours_accuracy_per_clip": sum(1 for c in per_clip if c["ours_correct"]) / len(per_clip),
        "ratio": ratio,
        "work_ratio": work_ratio,
        "workload_ratio": workload_ratio,
        "decoding": decode_cost.as_dicts(measured.decoding),
        "ours_work_method": "median over rounds of frames.Decoder.jpegs (by batch) + "
        "recognition.recognize_frames on the clip file, in the bench process (no S3, no Lambda)",
        "workload_work_estimate": work_estimate(work["jobs"], measured.ours, args.workers),
        "targets": targets,
        "year_note": workload.YEAR_NOTE,
    }


def classroom_targets(args: argparse.Namespace) -> list[dict]:
    """The classroom part in a process of its own (a fresh stack: moto's state is the process's)."""
    command = [sys.executable, "-m", "bench.classroom", f"--out={args.out}", f"--workers={args.workers}"]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (this interpreter, our own module)
    return json.loads((args.out / "classroom.json").read_text())["targets"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.only == "classroom":
        from bench import classroom

        return classroom.main(
            [f"--out={args.out}", f"--workers={args.workers}", *(["--strict"] * args.strict)]
        )
    args.out.mkdir(parents=True, exist_ok=True)
    measured = measurements(args)
    results = compare(args, measured)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2, default=str))
    chart(
        args.out / "latency.png",
        measured.work,
        results["per_clip"],
        baseline_loop(measured.work["jobs"], results["per_clip"]),
    )
    print_summary(results, measured.work, args.out)
    targets = results["targets"] + classroom_targets(args)
    return 1 if args.strict and not all(t["passed"] for t in targets) else 0


def print_summary(results: dict, work: dict, out: Path) -> None:
    from bench import decode_cost, encoders

    report = work["report"]
    m, workers = results["machine"], results["config"]["workers"]
    print(
        f"\n== workload: {report['videos']} uploads at once, local stack, {workers} workers per function"
        " (started before the burst, as provisioned concurrency would be)"
    )
    load = f"load average {m['load_before'][0]:.2f} before, {m['load_after'][0]:.2f} after"
    print(f"   ({load}, {m['cpus']} cores)")
    for line in workload.Report(**{k: report[k] for k in workload.Report.__dataclass_fields__}).lines():
        print(f"   {line}")
    if work["starts"]:
        first, last = work["starts"][0], work["starts"][-1]
        print(f"   executions started {first:.1f} to {last:.1f} s after the first upload began")
    if work["wall_to_last_stop"] is not None:
        print(f"   last execution stopped {work['wall_to_last_stop']:.1f} s after the first upload began")
    print("   seconds per state over the workload (history; includes waiting for a free worker):")
    for name, s in work["steps"].items():
        print(
            f"     {name:<16} sum {s['sum']:8.1f}  mean {s['mean']:6.2f}  p95 {s['p95']:6.2f}"
            f"  ({100 * s['share']:4.1f}% of state time)"
        )
    est = results["workload_work_estimate"]
    print("   the same states without queueing (each clip's quiet per-state seconds x its uploads):")
    print("     " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in est["per_state"].items()))
    print(
        f"     -> at least {est['lower_bound_seconds']:.1f} s for the workload on this machine at that speed"
    )
    print("   peak memory (VmHWM of the live workers):")
    for name, mem in results["memory"].items():
        peaks = ", ".join(f"{v:.0f}" for v in mem["vm_hwm_mb"] if v is not None) or "-"
        print(f"     {name:<16} {peaks} MiB  ({mem['invocations']} invocations)")
    print(
        "\n== per clip: ours alone through the stack (ExtractFrames + RecognizeFaces), ours in process"
        " (work: decode, detect, encode, match), and the course baseline"
    )
    print(
        f"   {'clip':<12}{'ours s':>8}{'extract':>9}{'recog':>8}{'work s':>8}{'base s':>8}{'ffmpeg':>8}"
        "  baseline says"
    )
    for c in results["per_clip"]:
        states = c["ours_states"]
        print(
            f"   {c['clip']:<12}{c['ours_seconds']:8.2f}{states.get('ExtractFrames', 0):9.2f}"
            f"{states.get('RecognizeFaces', 0):8.2f}{c['ours_work_seconds']:8.2f}"
            f"{c['baseline_seconds']:8.2f}{c['baseline_decode_seconds']:8.2f}"
            f"  {c['baseline_name']}{'' if c['baseline_correct'] else '  (WRONG)'}"
        )
    ours_total = sum(c["ours_seconds"] for c in results["per_clip"])
    base = results["baseline"]
    ours_accuracy = 100 * results["ours_accuracy_per_clip"]
    base_accuracy = 100 * base["accuracy"]
    print(f"   accuracy: ours {ours_accuracy:.0f}%, baseline {base_accuracy:.0f}% ({results['year_note']})")
    work_total = sum(c["ours_work_seconds"] for c in results["per_clip"])
    print(
        f"   total: ours {ours_total:.2f} s through the stack, {work_total:.2f} s of work in process;"
        f" baseline {base['per_clip_total']:.2f} s  -> ours is {results['work_ratio']:.2f}x faster per clip"
        f" ({results['ratio']:.2f}x counting S3 and Lambda overhead)"
    )
    loop = base["loop_over_workload_seconds"]
    print(
        f"   baseline as a loop over the {report['videos']} uploads (extrapolated from the 8 clips):"
        f" {loop:.1f} s, {report['videos'] / loop:.2f} videos/s"
    )
    print("\n== decoding per clip, ms (one decoder thread, median of the rounds; bench/decode_cost.py)")
    for line in decode_cost.lines([decode_cost.DecodeCost(**d) for d in results["decoding"]]):
        print(f"   {line}")
    print("\n== one face encoding (landmarks, chip, network; one thread; median ms), and the ratios")
    for when in ("before", "after"):
        encoding = m[f"encoding_{when}"]
        print(f"   {when:<7}{encoders.timing_line(encoding)}")
    diffs = m["encoding_after"]["max_abs_diff_to_dlib"]
    print("   max abs difference to dlib's encoding: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    print(
        f"   per-clip work {results['work_ratio']:.2f}x the baseline; the {report['videos']} uploads"
        f" {results['workload_ratio']:.2f}x the baseline loop"
        f" ({report['wall_seconds']:.1f} s vs {loop:.1f} s)"
    )
    print("\n== targets")
    for t in results["targets"]:
        print(f"   {'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['value']}")
    print(f"\nwrote {out / 'bench.json'} and {out / 'latency.png'}")


if __name__ == "__main__":
    sys.exit(main())
