"""Run the arm64 build: the vision layer's code, models and aarch64 wheels executed by an aarch64 Python
under QEMU user-mode emulation, on the sample clips and a generated classroom, against the same on x86_64.

No system change: Debian's ``qemu-user-static`` and the arm64 ``.deb``s of ``python3.11`` and its
libraries are fetched with ``apt-get download`` (the arm64 ones through a private apt state under
``.tools/arm64``) and unpacked with ``dpkg -x`` into a root there; QEMU runs that root's interpreter with
``-L``. Debian 12 ships python3.11 for arm64, not Lambda's 3.12, so both machines run python3.11 with
the layer's exact numpy, OpenCV and dlib built for it (OpenCV's wheel is abi3: the very file the layer
ships; numpy's and dlib's are their cp311 builds of the same versions) and the layer's models as
``make build`` left them. What that leaves unproven: the cp312 builds of numpy and dlib themselves, and
Python 3.12.

What is compared (``bench/arm64_probe.py`` does the work on each machine):

- the same pixels: frames decoded on x86_64, encoded on both: the same faces and names, encodings within
  ``SAME_PIXELS`` (1e-4) per component;
- each machine's own decoding: how far the decoded pixels differ, the largest encoding difference, and
  whether any face's name or match (distance against the threshold) differs.

Writes bench-results/arm64.json; exits 1 if a name differs or the same pixels encode differently.

    python -m bench.arm64 [--out bench-results]     (make arm64; needs `make build` first)
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".tools" / "arm64"
PROBE = Path(__file__).resolve().parent / "arm64_probe.py"
VISION = ROOT / "layers" / "vision"
BUILT_MODELS = ROOT / ".aws-sam" / "build" / "VisionLayer" / "python" / "face_recognition_models"
PYTHON = "3.11"  # what Debian 12 ships for arm64
ROOT_PACKAGES = ["python3.11", "libstdc++6", "libgomp1"]  # and what they depend on
NOT_NEEDED = {"dpkg", "install-info", "tar", "perl", "perl-base", "perl-modules-5.36", "libperl5.36"}
SAME_PIXELS = 1e-4  # per component: the same pixels must encode the same on both machines
THRESHOLD = 0.6


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)  # noqa: S603 (our commands, our arguments)


def layer_packages() -> list[str]:
    """numpy, OpenCV and dlib at the versions the vision layer ships (layers/vision/Makefile)."""
    text = (VISION / "Makefile").read_text()
    return re.search(r"^PACKAGES := (.+)$", text, re.MULTILINE).group(1).split()


def private_apt(arch: str) -> list[str]:
    """apt options for a private state and cache under WORK (another architecture's lists, no lock)."""
    apt = WORK / "apt"
    for folder in ("state/lists/partial", "cache/archives/partial", "sources"):
        (apt / folder).mkdir(parents=True, exist_ok=True)
    (apt / "status").touch()
    for source in Path("/etc/apt/sources.list.d").glob("*.sources"):
        shutil.copy(source, apt / "sources" / source.name)
    return [
        "-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={apt / 'sources'}",
        "-o", f"Dir::State={apt / 'state'}", "-o", f"Dir::State::status={apt / 'status'}",
        "-o", f"Dir::Cache={apt / 'cache'}", "-o", f"APT::Architecture={arch}",
        "-o", f"APT::Architectures::={arch}", "-o", "Debug::NoLocking=1",
    ]  # fmt: skip


def unpacked(debs: list[Path], into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        run(["dpkg", "-x", str(deb), str(into)])


def qemu() -> Path:
    """qemu-aarch64-static: on PATH, or Debian's package unpacked under WORK."""
    if found := shutil.which("qemu-aarch64-static"):
        return Path(found)
    binary = WORK / "qemu" / "usr" / "bin" / "qemu-aarch64-static"
    if not binary.exists():
        debs = WORK / "debs-host"
        debs.mkdir(parents=True, exist_ok=True)
        run(["apt-get", "download", "-q", "qemu-user-static"], cwd=debs)
        unpacked(sorted(debs.glob("qemu-user-static_*.deb")), WORK / "qemu")
    return binary


def sysroot() -> Path:
    """Debian's arm64 python3.11 and its libraries, unpacked into WORK/sysroot."""
    root, stamp = WORK / "sysroot", WORK / "sysroot.done"
    if stamp.exists():
        return root
    options = private_apt("arm64")
    run(["apt-get", *options, "-q", "update"], stdout=subprocess.DEVNULL)
    listed = run(
        ["apt-cache", *options, "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *ROOT_PACKAGES],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    names = sorted({line for line in listed.splitlines() if re.fullmatch(r"[\w.+-]+", line)} - NOT_NEEDED)
    debs = WORK / "debs-arm64"
    debs.mkdir(parents=True, exist_ok=True)
    run(["apt-get", *options, "-q", "download", *[f"{name}:arm64" for name in names]], cwd=debs)
    unpacked(sorted(debs.glob("*.deb")), root)
    stamp.write_text("\n".join(names) + "\n")
    return root


def site(machine: str) -> Path:
    """The layer's numpy, OpenCV and dlib for python3.11 on ``machine``, and the layer's models."""
    target = WORK / f"site-{machine}"
    if not (target / "numpy").exists():
        tags = ["manylinux2014", "manylinux_2_17", "manylinux_2_27", "manylinux_2_28", "manylinux_2_34"]
        run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
             "--no-compile", "--target", str(target), "--only-binary=:all:", "--implementation", "cp",
             "--python-version", PYTHON, "--abi", "cp" + PYTHON.replace(".", ""),
             *[option for tag in tags for option in ("--platform", f"{tag}_{machine}")],
             *layer_packages()])  # fmt: skip
    if not BUILT_MODELS.is_dir():
        raise SystemExit(f"{BUILT_MODELS.relative_to(ROOT)} is missing: run `make build` first")
    shutil.copytree(BUILT_MODELS, target / "face_recognition_models", dirs_exist_ok=True)
    return target


def inputs() -> tuple[Path, list[Path]]:
    """The known faces (the samples', as .npz) and the clips: the 8 samples and a generated classroom."""
    from devstack.seeding import SAMPLE_ENCODINGS, SAMPLE_VIDEOS, read_known_faces
    from synthetic.clips import write_encoded
    from synthetic.scenes import classroom_frame, jitter

    folder = WORK / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    known = folder / "known_faces.npz"
    known.write_bytes(read_known_faces(SAMPLE_ENCODINGS).to_bytes())
    classroom = folder / "generated_classroom.mp4"
    if not classroom.exists():
        write_encoded(classroom, jitter(classroom_frame(1920, 1080, "students", seed=22).frame, 14), fps=7.0)
    return known, [*sorted(SAMPLE_VIDEOS.glob("*.mp4")), classroom]


def probe(interpreter: list[str], packages: Path, mode: str, known: Path, out: Path, *args: Path) -> dict:
    """Run the probe with ``interpreter`` (site off: only ``packages`` and classroom_vision on its path)."""
    shutil.rmtree(out, ignore_errors=True)
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": f"{packages}{os.pathsep}{VISION}",
        "LANG": "C.UTF-8",
    }
    started = time.perf_counter()
    run([*interpreter, "-S", str(PROBE), mode, str(known), str(out), *map(str, args)], env=environment)
    found = json.loads((out / "faces.json").read_text())
    found["wall_seconds"] = round(time.perf_counter() - started, 1)
    (out / "faces.json").write_text(json.dumps(found))  # with the wall time, for --again
    return found


def faces_of(result: dict) -> dict[tuple[str, str], list[dict]]:
    return {
        (clip, frame): found for clip, frames in result["clips"].items() for frame, found in frames.items()
    }


def paired(a: list[dict], b: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each face of ``a`` with the face of ``b`` whose box centre is nearest (boxes may move a pixel)."""

    def centre(face: dict) -> np.ndarray:
        top, right, bottom, left = face["box"][:4]
        return np.array([(left + right) / 2, (top + bottom) / 2])

    return [(f, min(b, key=lambda g: float(np.linalg.norm(centre(f) - centre(g))), default=None)) for f in a]


def compared(a: dict, b: dict) -> dict:
    """Faces, names, encodings and matches of two results over the same clips and frames."""
    left, right = faces_of(a), faces_of(b)
    diffs, names, crossings, counts, moved, margins = [], [], [], [], [], []
    for key in sorted(left.keys() | right.keys()):
        x, y = left.get(key, []), right.get(key, [])
        if len(x) != len(y):
            counts.append((*key, len(x), len(y)))
        for f, g in paired(x, y):
            if g is None:
                continue
            diffs.append(float(np.abs(np.array(f["encoding"]) - np.array(g["encoding"])).max()))
            moved.append(abs(f["distance"] - g["distance"]))
            margins.append((abs(f["distance"] - THRESHOLD), *key, f["distance"], g["distance"]))
            if f["name"] != g["name"]:
                names.append((*key, f["name"], g["name"]))
            if (f["distance"] < THRESHOLD) != (g["distance"] < THRESHOLD):
                crossings.append((*key, f["distance"], g["distance"]))
    return {
        "faces": sum(map(len, left.values())),
        "face_count_differs": counts,
        "names_differ": names,
        "threshold_crossed": crossings,
        "max_encoding_difference": max(diffs, default=0.0),
        "max_distance_change": max(moved, default=0.0),
        "closest_to_threshold": min(margins, default=None),  # (margin, clip, frame, distance here, there)
    }


def pixel_difference(a: Path, b: Path) -> dict:
    """How the frames two machines decoded differ: share of values that differ, the largest difference."""
    differing = total = largest = 0
    for frame in sorted(a.rglob("*.npy")):
        x, y = np.load(frame).astype(np.int16), np.load(b / frame.relative_to(a)).astype(np.int16)
        delta = np.abs(x - y)
        differing, total, largest = (
            differing + int((delta > 0).sum()),
            total + delta.size,
            max(largest, int(delta.max())),
        )
    return {"share_differing": round(differing / max(total, 1), 3), "largest_level_difference": largest}


def names_by_clip(result: dict) -> dict[str, list[str]]:
    return {
        clip: sorted({f["name"] for found in frames.values() for f in found if f["name"]})
        for clip, frames in result["clips"].items()
    }


def summary(report: dict) -> list[str]:
    """The report in a few lines: each clip's names, then the two comparisons and the time."""
    same, own, names = report["same_pixels"], report["own_decoding"], report["names"]
    arm, x86 = report["aarch64"], report["x86_64"]
    lines = [
        f"aarch64 {arm['python']} under QEMU vs x86_64 {x86['python']}: {' '.join(report['layer_packages'])}"
    ]
    for clip, found in names["aarch64"].items():
        same_names = found == names["x86_64"][clip]
        lines.append(f"  {clip:<26} {', '.join(found) or 'nobody'} ({'same' if same_names else 'DIFFERENT'})")
    lines.append(
        f"  same pixels: {same['faces']} faces, largest encoding difference "
        f"{same['max_encoding_difference']:.1e}, names differing: {len(same['names_differ'])}"
    )
    lines.append(
        f"  own decoding: {own['share_differing']:.0%} of pixel values differ (up to "
        f"{own['largest_level_difference']} levels), largest encoding difference "
        f"{own['max_encoding_difference']:.4f}, distances moved up to {own['max_distance_change']:.4f}, "
        f"names differing: {len(own['names_differ'])}, matches across the threshold: "
        f"{len(own['threshold_crossed'])} (the closest: {own['closest_to_threshold'][3]:.4f} here, "
        f"{own['closest_to_threshold'][4]:.4f} on aarch64)"
    )
    lines.append(f"  time: aarch64 {arm['wall_seconds']} s under QEMU, x86_64 {x86['wall_seconds']} s")
    host = report["host"]
    lines.append(f"  host: one encoding {host['encoding_before']} before, {host['encoding_after']} after")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--again", action="store_true", help="compare the last run's results, run nothing")
    args = parser.parse_args(argv)
    if platform.machine() != "x86_64":
        raise SystemExit("bench.arm64 compares aarch64 under QEMU with this machine's x86_64")
    from bench.encoders import encode_ms, timing_line

    started, load, encoding_before = time.perf_counter(), os.getloadavg(), encode_ms()
    emulator, root = qemu(), sysroot()
    x86, arm = site("x86_64"), site("aarch64")
    known, clips = inputs()
    aarch64 = [str(emulator), "-L", str(root), str(root / "usr" / "bin" / f"python{PYTHON}")]
    here = [sys.executable]  # this venv's python3.11, its site-packages left out (-S)
    out = WORK / "out"
    if args.again:
        x86_own, arm_own, arm_same = (
            json.loads((out / name / "faces.json").read_text())
            for name in ("x86_64", "aarch64", "aarch64-x86-pixels")
        )
    else:
        x86_own = probe(here, x86, "decode", known, out / "x86_64", *clips)
        arm_own = probe(aarch64, arm, "decode", known, out / "aarch64", *clips)
        arm_same = probe(aarch64, arm, "pixels", known, out / "aarch64-x86-pixels", out / "x86_64" / "frames")
    report = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "layer_packages": layer_packages(),
        "x86_64": {k: x86_own[k] for k in ("machine", "python", "versions", "seconds", "wall_seconds")},
        "aarch64": {k: arm_own[k] for k in ("machine", "python", "versions", "seconds", "wall_seconds")},
        "names": {"x86_64": names_by_clip(x86_own), "aarch64": names_by_clip(arm_own)},
        "same_pixels": compared(x86_own, arm_same),
        "own_decoding": {
            **compared(x86_own, arm_own),
            **pixel_difference(out / "x86_64" / "frames", out / "aarch64" / "frames"),
        },
        "seconds": None if args.again else round(time.perf_counter() - started),
        "host": {
            "load_before": load,
            "load_after": os.getloadavg(),
            "encoding_before": timing_line(encoding_before),
            "encoding_after": timing_line(encode_ms()),
        },
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "arm64.json").write_text(json.dumps(report, indent=2))
    print("\n".join(summary(report)))
    same = report["same_pixels"]
    failed = (
        report["names"]["x86_64"] != report["names"]["aarch64"]
        or same["names_differ"] or same["face_count_differs"] or same["max_encoding_difference"] > SAME_PIXELS
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
