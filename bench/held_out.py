"""``make bench-cameras``, held-out part: the real-camera conditions drawn again with other seeds (other
people in other seats, other light, other shake), named by the pipeline's recognition code in this
process (``bench.in_process.recognizer``). The tests' videos are one seed per condition, the one the
code was measured on; these are the videos it was not, as a school's cameras would be.

For each condition and seed: students named / expected, the missed ones, wrong names (a name of someone
not in the video: a stranger named, or a student named as someone else). Writes
bench-results/held-out.json.

    python -m bench.held_out [--seeds 10] [--only ceiling dim ...] [--out bench-results]
"""

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(names: list[str], seeds: list[int]) -> dict[str, list[dict]]:
    """Each condition of ``names`` made with each of ``seeds`` and named in this process."""
    from bench.cameras import judged
    from bench.in_process import recognizer
    from synthetic import cameras

    recognize = recognizer()
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="held-out-") as folder:
        for name in names:
            results[name] = []
            for seed in seeds:
                condition = replace(cameras.CONDITIONS[name], seed=seed)
                video = cameras.made(condition, Path(folder))
                answer = recognize(video.path)
                judgement = judged([m.name for m in answer.students], answer.unknown_faces, video)
                results[name].append({"seed": seed, "expected": len(video.students), **judgement})
                video.path.unlink()
                done = f"{judgement['found']}/{len(video.students)}"
                print(f"held out: {name} seed {seed}: {done}", file=sys.stderr)
    return results


def table(results: dict[str, list[dict]]) -> list[str]:
    """A line per condition: students named / expected over its seeds, wrong names, who was missed."""
    lines = [f"{'condition':<12}{'named':>10}{'wrong':>7}  missed (how often)"]
    for name, runs in results.items():
        found, expected = sum(r["found"] for r in runs), sum(r["expected"] for r in runs)
        wrong = sum(len(r["wrong"]) for r in runs)
        missed = Counter(m for r in runs for m in r["missed"])
        listed = ", ".join(f"{who} {n}" for who, n in missed.most_common()) or "-"
        lines.append(f"{name:<12}{found:>5}/{expected:<4}{wrong:>7}  {listed}")
    return lines


def main(argv: list[str] | None = None) -> int:
    from synthetic.cameras import CONDITIONS

    parser = argparse.ArgumentParser(
        prog="bench.held_out", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds 1..N per condition")
    parser.add_argument("--only", nargs="+", choices=list(CONDITIONS), help="these conditions only")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    results = measure(args.only or list(CONDITIONS), list(range(1, args.seeds + 1)))
    print("\n".join(table(results)))
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"when": datetime.now().astimezone().isoformat(timespec="seconds"), "conditions": results}
    (args.out / "held-out.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
