"""`make bench-upload`: what the local stack's memory does with lecture-sized uploads and with many runs.

Each stack runs in a child process, as a user runs it; this process is the client and reads memory
from /proc (the stack's main process: moto's server and the Step Functions interpreter; its worker
processes, the Lambdas, apart):

1. `classroom up`, and a generated lecture of ``--gb`` GB (``synthetic.large_lecture``: 1080p H.264 at
   8 Mbit/s, a student present) uploaded with boto3's ``upload_file`` (multipart, 8 MiB parts, 10 at a
   time: what the AWS CLI does too) and processed: the main process's resident memory before, its peak
   (VmHWM) during the upload and during the run, and after; the workers' summed resident memory at its
   highest (sampled); the object files the stack holds open in its own folder.
2. Then ``--small`` uploads of the smallest sample clip (distinct keys, 16 at a time), every run waited
   for: the main process's resident memory after, and what the stack holds for them, read through its
   APIs (objects, most under moto's 5 MiB spooling threshold and so in memory; executions and their
   histories). Stopping it: its object folder is gone.
3. `classroom run` on a generated lecture of ``--run-gb`` GB (a stack of its own, the samples seeded):
   its outcome, and the whole process tree's resident memory at its highest (sampled) and the sum of
   each process's own peak (VmHWM): what the machine needs free.

Writes bench-results/upload.json.

    python -m bench.upload [--gb 1] [--small 1000] [--run-gb 2] [--out bench-results]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from bench.proc import reset_peak
from bench.stack_process import children, down, open_file_bytes, status_kib, up
from devstack import runs
from devstack.deployment import Deployment

ROOT = Path(__file__).resolve().parent.parent
SMALL_CLIP = ROOT / "data" / "sample-classroom" / "videos" / "test_7.mp4"
GB = 10**9
MIB = 2**20


def mib(kib: float) -> float:
    return round(kib / 1024, 1)


def descendants(pid: int) -> list[int]:
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


class Sampler:
    """Every 20 ms: the resident memory of ``pid``'s descendants summed (and of ``pid`` too when
    ``tree``), each process's own peak, and the bytes of files ``pid`` holds open under ``folder``."""

    def __init__(self, pid: int, folder: Path, tree: bool = False) -> None:
        self.pid, self.folder, self.tree = pid, folder, tree
        self.summed_peak_kib = 0
        self.own_peaks_kib: dict[int, int] = {}
        self.files_peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            try:
                pids = ([self.pid] if self.tree else []) + descendants(self.pid)
                self.files_peak = max(self.files_peak, open_file_bytes(self.pid, self.folder))
            except OSError:  # the process ended
                pids = []
            self.summed_peak_kib = max(self.summed_peak_kib, sum(status_kib(p, "VmRSS") for p in pids))
            for p in pids:
                self.own_peaks_kib[p] = max(self.own_peaks_kib.get(p, 0), status_kib(p, "VmHWM"))
            time.sleep(0.02)

    def stop(self) -> "Sampler":
        self._done.set()
        self._thread.join()
        return self


def lecture_run(deployment: Deployment, pid: int, video: Path, workdir: Path) -> dict:
    """Upload ``video`` with ``upload_file``, wait for its run; the main process's memory around it."""
    s3, bucket = deployment.client("s3"), deployment["InputBucketName"]
    rss_before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    sampler = Sampler(pid, workdir)
    at = time.time()
    started = time.perf_counter()
    s3.upload_file(str(video), bucket, video.name, Config=TransferConfig())
    upload_seconds = time.perf_counter() - started
    upload_peak = status_kib(pid, "VmHWM")
    rss_uploaded = status_kib(pid, "VmRSS")
    reset_peak(pid)
    head = s3.head_object(Bucket=bucket, Key=video.name)
    upload = runs.Upload(str(video), video.name, head["ETag"].strip('"'), head.get("VersionId"), at)
    (outcome,) = runs.wait(deployment, [upload], timeout=3600)
    run_peak = status_kib(pid, "VmHWM")
    sampler.stop()
    time.sleep(1.0)  # the last responses' buffers freed
    return {
        "video": video.name,
        "bytes": video.stat().st_size,
        "status": outcome.status,
        "error": outcome.error,
        "students": [s["name"] for s in outcome.students],
        "upload_seconds": round(upload_seconds, 1),
        "execution_seconds": round(outcome.seconds, 1),
        "rss_before_mib": mib(rss_before),
        "peak_upload_mib": mib(upload_peak),
        "rss_after_upload_mib": mib(rss_uploaded),
        "peak_run_mib": mib(run_peak),
        "rss_after_mib": mib(status_kib(pid, "VmRSS")),
        "workers_summed_peak_mib": mib(sampler.summed_peak_kib),
        "object_files_peak_bytes": sampler.files_peak,
        "object_files_after_bytes": open_file_bytes(pid, workdir),
    }


def held_for_runs(deployment: Deployment) -> dict:
    """What the stack holds that grows with runs, read through its APIs: objects per bucket (every
    version; those under moto's 5 MiB spooling threshold are in memory), executions, the newest run's
    history."""
    s3 = deployment.client("s3")
    buckets = {}
    for bucket in s3.list_buckets()["Buckets"]:
        count = size = in_memory = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["Name"]):
            for version in page.get("Versions", []):
                count, size = count + 1, size + version["Size"]
                in_memory += version["Size"] if version["Size"] < 5 * MIB else 0
        buckets[bucket["Name"]] = {"objects": count, "bytes": size, "bytes_in_memory": in_memory}
    sfn = deployment.client("stepfunctions")
    executions = runs.executions(deployment)
    events: list = []
    if executions:
        arn = executions[0]["executionArn"]
        events = [
            e
            for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
            for e in page["events"]
        ]
    return {
        "buckets": buckets,
        "executions": len(executions),
        "history_events_per_run": len(events),
        "history_json_bytes_per_run": len(json.dumps(events, default=str)),
    }


def small_runs(deployment: Deployment, pid: int, count: int) -> dict:
    """``count`` uploads of the smallest sample clip, 16 at a time, every run waited for."""
    body = SMALL_CLIP.read_bytes()
    rss_before = status_kib(pid, "VmRSS")
    started = time.perf_counter()

    def one(i: int) -> runs.Upload:
        return runs.upload(deployment, SMALL_CLIP, key=f"small/{i:04}.mp4", body=body)

    with ThreadPoolExecutor(16) as pool:
        uploads = list(pool.map(one, range(count)))
    outcomes = runs.wait(deployment, uploads, timeout=3 * 3600)
    seconds = time.perf_counter() - started
    time.sleep(1.0)
    rss_after = status_kib(pid, "VmRSS")
    return {
        "uploads": count,
        "clip": SMALL_CLIP.name,
        "clip_bytes": len(body),
        "succeeded": sum(o.status == "SUCCEEDED" for o in outcomes),
        "seconds": round(seconds, 1),
        "rss_before_mib": mib(rss_before),
        "rss_after_mib": mib(rss_after),
        "rss_growth_kib_per_run": round((rss_after - rss_before) / max(count, 1), 1),
        "held": held_for_runs(deployment),
    }


def classroom_run(video: Path) -> dict:
    """``classroom run --json VIDEO`` in a child process; its outcome and its process tree's memory."""
    with tempfile.TemporaryDirectory(prefix="classroom-bench-run-") as tmp:
        started = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603 (this venv's classroom command, our file)
            [str(Path(sys.executable).parent / "classroom"), "run", "--json", "--out", "out", str(video)],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        sampler = Sampler(child.pid, Path(tmp) / ".classroom", tree=True)
        out, _ = child.communicate(timeout=3 * 3600)
        sampler.stop()
        seconds = time.perf_counter() - started
    result = json.loads(out.strip().splitlines()[-1])
    return {
        "video": video.name,
        "bytes": video.stat().st_size,
        "status": result["status"],
        "error": result.get("error"),
        "students": [s["name"] for s in result["students"]],
        "seconds": round(seconds, 1),
        "tree_peak_mib": mib(sampler.summed_peak_kib),
        "sum_of_peaks_mib": mib(sum(sampler.own_peaks_kib.values())),
        "main_peak_mib": mib(sampler.own_peaks_kib.get(child.pid, 0)),
        "processes": len(sampler.own_peaks_kib),
        "object_files_peak_bytes": sampler.files_peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gb", type=float, default=1.0, help="the uploaded lecture's size in GB (0: none)")
    parser.add_argument("--small", type=int, default=1000, help="small uploads after it (0: none)")
    parser.add_argument("--run-gb", type=float, default=2.0, help="classroom run's lecture in GB (0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    from bench.encoders import encode_ms, timing_line
    from synthetic.large_lecture import write_large_lecture

    load, encoding_before = os.getloadavg(), encode_ms()
    report: dict = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.gb or args.small:
        video = (
            write_large_lecture(args.out / f"lecture-{args.gb:g}GB.mp4", int(args.gb * GB))
            if args.gb
            else None
        )
        with tempfile.TemporaryDirectory(prefix="classroom-bench-upload-") as tmp:
            workdir = Path(tmp)
            stack, endpoint = up(workdir)
            try:
                deployment = Deployment.local(endpoint)
                time.sleep(2.0)  # seeded and idle
                report["rss_idle_mib"] = mib(status_kib(stack.pid, "VmRSS"))
                if video:
                    report["lecture"] = lecture_run(deployment, stack.pid, video, workdir)
                if args.small:
                    report["small"] = small_runs(deployment, stack.pid, args.small)
            finally:
                down(stack)
            report["folders_left_after_stop"] = [p.name for p in (workdir / ".classroom").glob("objects*")]
    if args.run_gb:
        big = write_large_lecture(args.out / f"lecture-{args.run_gb:g}GB.mp4", int(args.run_gb * GB))
        report["classroom_run"] = classroom_run(big)
    report["host"] = {
        "cpus": os.cpu_count(),
        "load_before": load,
        "encoding_before": timing_line(encoding_before),
        "encoding_after": timing_line(encode_ms()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "upload.json").write_text(json.dumps(report, indent=2))
    print_report(report)
    return 0


def print_report(report: dict) -> None:
    if "rss_idle_mib" in report:
        print(f"classroom up's main process, idle and seeded: {report['rss_idle_mib']:.0f} MiB resident")
    if r := report.get("lecture"):
        size = r["bytes"] / MIB
        growth = r["peak_upload_mib"] - r["rss_before_mib"]
        print(
            f"  {r['video']} ({size:.0f} MiB) by upload_file: {r['status']} {r['students']}, "
            f"uploaded in {r['upload_seconds']} s, run {r['execution_seconds']} s"
        )
        print(
            f"    main process {r['rss_before_mib']:.0f} MiB before; peak {r['peak_upload_mib']:.0f} MiB "
            f"uploading (+{growth:.0f} MiB, {growth / size:.3f}x the file), {r['peak_run_mib']:.0f} MiB "
            f"processing; {r['rss_after_mib']:.0f} MiB after"
        )
        print(
            f"    workers together at most {r['workers_summed_peak_mib']:.0f} MiB; object files in its "
            f"folder {r['object_files_peak_bytes'] / MIB:.0f} MiB at most, "
            f"{r['object_files_after_bytes'] / MIB:.0f} MiB after"
        )
    if r := report.get("small"):
        held = r["held"]
        in_memory = sum(b["bytes_in_memory"] for b in held["buckets"].values())
        objects = ", ".join(
            f"{name.removeprefix('smart-classroom-')} {b['objects']}" for name, b in held["buckets"].items()
        )
        print(
            f"  {r['uploads']} uploads of {r['clip']} ({r['clip_bytes'] / 1024:.0f} KiB): "
            f"{r['succeeded']} succeeded in {r['seconds']:.0f} s; main process "
            f"{r['rss_before_mib']:.0f} -> {r['rss_after_mib']:.0f} MiB "
            f"({r['rss_growth_kib_per_run']:.0f} KiB a run)"
        )
        print(
            f"    it holds {in_memory / MIB:.0f} MiB of objects in memory ({objects}); {held['executions']} "
            f"executions, the last one's history {held['history_events_per_run']} events "
            f"({held['history_json_bytes_per_run'] / 1024:.0f} KiB as JSON)"
        )
    if "folders_left_after_stop" in report:
        print(f"  object folders left once it stopped: {report['folders_left_after_stop'] or 'none'}")
    if r := report.get("classroom_run"):
        print(
            f"classroom run {r['video']} ({r['bytes'] / MIB:.0f} MiB): {r['status']} {r['students']} "
            f"in {r['seconds']:.0f} s; its {r['processes']} processes at most {r['tree_peak_mib']:.0f} MiB "
            f"together (sum of their own peaks {r['sum_of_peaks_mib']:.0f} MiB; main process "
            f"{r['main_peak_mib']:.0f} MiB); object files {r['object_files_peak_bytes'] / MIB:.0f} MiB "
            "at most"
        )
    host = report["host"]
    print(f"  host: one encoding {host['encoding_before']} before, {host['encoding_after']} after")


if __name__ == "__main__":
    sys.exit(main())
