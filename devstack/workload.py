"""``classroom workload``: upload many videos at once, wait for every outcome, and report
accuracy (against a course-style ``mapping`` file), throughput and latency.

The pieces (jobs_for, upload_many, check_outcomes, report, percentile, latency) are reused by ``bench/``.
"""

import argparse
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from devstack import runs, seeding
from devstack.deployment import Deployment
from devstack.mistakes import Mistake, existing_file

COURSE_NAME = re.compile(r"test_(\d+)\.mp4")
# The course's mapping says "freshman" where its student table says "freshmen": the same year.
YEAR_ALIASES = {"freshman": "freshmen"}
YEAR_NOTE = 'the mapping\'s "freshman" counts as the student table\'s "freshmen"'


@dataclass(frozen=True)
class Job:
    key: str  # object key to upload under
    path: Path  # the clip uploaded there


@dataclass(frozen=True)
class Check:
    key: str
    expected: tuple[str, str] | None  # (major, year) from the mapping; None: not in the mapping
    got: list[tuple[str, str]]  # (major, year) of every student the run reported
    status: str

    @property
    def correct(self) -> bool | None:
        if self.expected is None:
            return None
        return self.status == "SUCCEEDED" and {_norm(*g) for g in self.got} == {_norm(*self.expected)}


@dataclass
class Report:
    videos: int
    checked: int
    correct: int
    wall_seconds: float
    latency: dict[str, float]  # p50, p95, max, mean of execution start -> stop
    failed: int
    upload_seconds: float | None = None  # until every upload was stored (their executions started)
    wrong: list[dict] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.checked if self.checked else None

    @property
    def throughput(self) -> float:
        return self.videos / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "accuracy": self.accuracy, "throughput": self.throughput}

    def lines(self) -> list[str]:
        if self.checked:
            accuracy = (
                f"accuracy    {self.correct}/{self.checked} correct ({100 * self.accuracy:.1f}%)"
                f"  [{YEAR_NOTE}]"
            )
        else:
            accuracy = "accuracy    not checked (no mapping file)"
        lat = self.latency
        return [
            accuracy,
            f"throughput  {self.throughput:.2f} videos/s"
            f" ({self.videos} videos in {self.wall_seconds:.1f} s wall)",
            f"latency     p50 {lat['p50']:.2f} s  p95 {lat['p95']:.2f} s  max {lat['max']:.2f} s"
            "  (execution start -> stop)",
            f"failed      {self.failed}",
            *(
                [f"uploads     all stored {self.upload_seconds:.1f} s after the first began"]
                if self.upload_seconds
                else []
            ),
        ]


def _norm(major: str, year: str) -> tuple[str, str]:
    year = year.strip().lower()
    return major.strip().lower(), YEAR_ALIASES.get(year, year)


def read_mapping(path: Path) -> dict[str, tuple[str, str]]:
    """``test_N.mp4:major,year`` lines -> {file name: (major, year)}."""
    mapping = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        name, _, label = line.strip().partition(":")
        major, _, year = label.partition(",")
        mapping[name.strip()] = (major.strip(), year.strip())
    return mapping


def find_mapping(videos: Path) -> Path | None:
    """A ``mapping`` file in the videos folder or beside it (the sample set's layout)."""
    return next((p for p in (videos / "mapping", videos.parent / "mapping") if p.is_file()), None)


def clips(folder: Path) -> list[Path]:
    """The folder's MP4s, course files in number order (test_0, test_1, test_2, test_4, …)."""
    if not folder.is_dir():
        raise Mistake(f"{folder}: no such folder (--videos is a folder of MP4s); check the path")
    files = [p for p in folder.iterdir() if p.suffix.lower() == ".mp4" and p.is_file()]
    if not files:
        raise Mistake(f"no .mp4 files in {folder}: --videos is a folder of MP4s")

    def order(p: Path) -> tuple[int, str]:
        m = COURSE_NAME.fullmatch(p.name)
        return (int(m[1]), "") if m else (-1, p.name)

    return sorted(files, key=order)


def jobs_for(
    videos: list[Path], count: int, mapping: dict[str, tuple[str, str]] | None = None, prefix: str = ""
) -> list[Job]:
    """``count`` uploads with distinct keys, cycling ``videos``.

    Course clips (every file named test_N.mp4) keep the course's naming: the folder's own
    names first, then test_<next N>… (test_0 … test_100 without test_3 for the sample set).
    A key the mapping labels takes a clip with the same label (the cycle, except where the
    mapping says otherwise: its test_100 is mr_bean's label, not the cycle's johnny_dep).
    Other clips are uploaded as <stem>-<i>.mp4.
    """
    if not videos:
        raise ValueError("no videos")
    numbers = [COURSE_NAME.fullmatch(v.name) for v in videos]
    if not all(numbers):
        cycle = [videos[i % len(videos)] for i in range(count)]
        return [Job(f"{prefix}{clip.stem}-{i}.mp4", clip) for i, clip in enumerate(cycle)]
    names = [v.name for v in videos]
    following = max(int(m[1]) for m in numbers if m) + 1
    while len(names) < count:
        names.append(f"test_{following}.mp4")
        following += 1
    by_label: dict[tuple[str, str], Path] = {}
    for v in videos:
        if mapping and v.name in mapping:
            by_label.setdefault(_norm(*mapping[v.name]), v)
    jobs = []
    for i, name in enumerate(names[:count]):
        clip = videos[i % len(videos)]
        if name in names[: len(videos)]:
            clip = videos[names.index(name)]
        elif mapping and name in mapping:
            clip = by_label.get(_norm(*mapping[name]), clip)
        jobs.append(Job(f"{prefix}{name}", clip))
    return jobs


def upload_many(
    deployment: Deployment, jobs: list[Job], on_upload: Callable[[], None] | None = None
) -> list[runs.Upload]:
    """Upload every job at once (one thread each, up to 64); uploads in job order."""
    deployment.client("s3")  # create the client before the threads share it
    bodies = {job.path: job.path.read_bytes() for job in jobs}

    def put(job: Job) -> runs.Upload:
        sent = runs.upload(deployment, job.path, key=job.key, body=bodies[job.path])
        if on_upload:
            on_upload()
        return sent

    with ThreadPoolExecutor(max_workers=max(1, min(64, len(jobs)))) as pool:
        return list(pool.map(put, jobs))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating linearly between ranks (NumPy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency(seconds: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(seconds, 50),
        "p95": percentile(seconds, 95),
        "max": max(seconds, default=float("nan")),
        "mean": sum(seconds) / len(seconds) if seconds else float("nan"),
    }


def check_outcomes(
    uploads: list[runs.Upload], outcomes: list[runs.Outcome], mapping: dict[str, tuple[str, str]] | None
) -> list[Check]:
    """Each outcome against the mapping, by the key's file name (else the uploaded clip's)."""
    checks = []
    for upload, outcome in zip(uploads, outcomes, strict=True):
        expected = None
        if mapping:
            name = PurePosixPath(upload.key).name
            expected = mapping.get(name) or mapping.get(Path(upload.video).name)
        got = [(s["major"], s["year"]) for s in outcome.students]
        checks.append(Check(upload.key, expected, got, outcome.status))
    return checks


def report(
    checks: list[Check],
    outcomes: list[runs.Outcome],
    wall_seconds: float,
    seconds: list[float] | None = None,
    upload_seconds: float | None = None,
) -> Report:
    judged = [c for c in checks if c.correct is not None]
    return Report(
        videos=len(outcomes),
        checked=len(judged),
        correct=sum(1 for c in judged if c.correct),
        wall_seconds=wall_seconds,
        latency=latency(seconds if seconds is not None else [o.seconds for o in outcomes]),
        failed=sum(1 for o in outcomes if o.status != "SUCCEEDED"),
        upload_seconds=upload_seconds,
        wrong=[
            {
                "key": c.key,
                "expected": list(c.expected or ()),
                "got": [list(g) for g in c.got],
                "status": c.status,
            }
            for c in judged
            if not c.correct
        ],
    )


class Progress:
    """A one-line stderr bar: uploaded and finished counts, redrawn in place on a terminal."""

    def __init__(self, total: int, stream=sys.stderr, enabled: bool = True) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.uploaded = self.finished = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_decile = -1

    def upload_done(self) -> None:
        with self._lock:
            self.uploaded += 1
        self.draw()

    def set_finished(self, finished: int) -> None:
        with self._lock:
            self.finished = min(self.total, max(self.finished, finished))
        self.draw()

    def draw(self, final: bool = False) -> None:
        if not self.enabled:
            return
        width = 30
        done = round(width * self.finished / self.total) if self.total else width
        line = (
            f"[{'#' * done}{'.' * (width - done)}] uploaded {self.uploaded}/{self.total}"
            f"  finished {self.finished}/{self.total}  {time.monotonic() - self._started:5.1f} s"
        )
        if self._tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
            self.stream.flush()
            return
        decile = 10 * self.finished // self.total if self.total else 10
        if decile > self._last_decile:  # a log file gets a line per 10%
            self._last_decile = decile
            print(line, file=self.stream, flush=True)


@dataclass
class WorkloadRun:
    jobs: list[Job]
    uploads: list[runs.Upload]
    outcomes: list[runs.Outcome]
    checks: list[Check]
    report: Report
    started: datetime  # wall clock just before the first upload (UTC)


def run(
    deployment: Deployment,
    jobs: list[Job],
    mapping: dict[str, tuple[str, str]] | None = None,
    timeout: float = 900,
    progress: bool = True,
) -> WorkloadRun:
    """Upload ``jobs`` all at once, wait for every outcome and check it against ``mapping``."""
    bar = Progress(len(jobs), enabled=progress)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    uploads = upload_many(deployment, jobs, on_upload=bar.upload_done)
    uploaded = time.perf_counter() - t0
    outcomes = runs.wait(deployment, uploads, timeout=timeout, on_progress=bar.set_finished)
    wall = time.perf_counter() - t0
    bar.set_finished(len(jobs))
    bar.draw(final=True)
    checks = check_outcomes(uploads, outcomes, mapping)
    return WorkloadRun(
        jobs, uploads, outcomes, checks, report(checks, outcomes, wall, upload_seconds=uploaded), started
    )


def jobs_line(jobs: list[Job], folder: Path) -> str:
    """The workload in one line: how many uploads of how many clips, and their first and last keys."""
    clips_used = len({j.path for j in jobs})
    names = f"{jobs[0].key} … {jobs[-1].key}" if len(jobs) > 1 else jobs[0].key
    return f"videos      {len(jobs)} uploads of {clips_used} clips from {folder}, keys {names}"


def cmd_workload(args: argparse.Namespace, target: Callable) -> int:
    videos = clips(args.videos)
    mapping_path = args.mapping or find_mapping(args.videos)
    mapping = read_mapping(existing_file(mapping_path, "the --mapping file")) if mapping_path else None
    jobs = jobs_for(videos, args.count, mapping, args.prefix)
    with ExitStack() as resources:
        if args.stack or args.endpoint:
            deployment = target(args, resources)
        else:
            from devstack.stack import LocalStack

            print(f"starting the local stack ({args.workers} workers per function)…", file=sys.stderr)
            deployment = resources.enter_context(LocalStack(max_workers=args.workers)).deployment
        if args.seed or not (args.stack or args.endpoint):
            print(seeding.seed(deployment), file=sys.stderr)
        result = run(deployment, jobs, mapping, timeout=args.timeout, progress=not args.quiet)
    print(jobs_line(jobs, args.videos))
    print(f"mapping     {mapping_path or 'none'}")
    for line in result.report.lines():
        print(line)
    for wrong in result.report.wrong:
        print(f"  wrong: {wrong['key']} expected {wrong['expected']} got {wrong['got']} ({wrong['status']})")
    return 0 if result.report.failed == 0 and result.report.correct == result.report.checked else 1


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    p = subparsers.add_parser(
        "workload", help="upload many videos at once; report accuracy, throughput and latency"
    )
    p.add_argument(
        "--videos", type=Path, default=seeding.SAMPLE_VIDEOS, help="folder of MP4s (default: the samples)"
    )
    p.add_argument("--count", type=int, default=100, help="uploads, cycling the folder's clips (default 100)")
    p.add_argument(
        "--mapping",
        type=Path,
        help="test_N.mp4:major,year lines (default: a `mapping` file in or beside --videos)",
    )
    p.add_argument("--prefix", default="", help="key prefix for the uploads (default: none)")
    p.add_argument("--timeout", type=float, default=900, help="seconds to wait for all executions")
    p.add_argument("--workers", type=int, default=2, help="worker processes per function (in-process stack)")
    p.add_argument(
        "--seed", action="store_true", help="seed the sample students and faces into --stack/--endpoint"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_target(p)
    p.set_defaults(handler=lambda args: cmd_workload(args, deployment))
