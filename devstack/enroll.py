"""``classroom enroll``: build the known-faces file from a folder of labeled photos (``--out``), or, with
``--endpoint``/``--stack`` and no ``--out``, upload them under ``enrollment/<person>/`` in the stack's
known-faces bucket, where the stack enrols them, and print each person's report (``devstack.enrolment``).

``PHOTOS_DIR/<person>/*.jpg``: one sub-folder per person, named as the student table names
them, with one or more photos each. Every photo must show exactly one face: a photo with
none or with several is reported and skipped (which face would be the person's?).
Each usable photo adds one encoding, so a person may have several.
"""

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classroom_vision.detection import detect
from classroom_vision.encoding import encode
from classroom_vision.images import decode_rgb
from classroom_vision.known_faces import KnownFaces
from devstack import enrolment, seeding
from devstack.mistakes import Mistake

CLOSE = 0.6  # two people's encodings this close would be confused at the default threshold


@dataclass
class Enrollment:
    pairs: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (person, encoding)
    used: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (photo, reason)
    empty: list[str] = field(default_factory=list)  # people left without a usable photo
    merged: int = 0  # encodings taken over from --merge

    @property
    def known(self) -> KnownFaces:
        return KnownFaces.from_pairs(self.pairs)

    def warnings(self) -> list[str]:
        """Pairs of different people whose encodings are close enough to be confused."""
        known = self.known
        lines = []
        for i in range(len(known.names)):
            for j in range(i + 1, len(known.names)):
                if known.names[i] != known.names[j]:
                    distance = float(np.linalg.norm(known.encodings[i] - known.encodings[j]))
                    if distance < CLOSE:
                        lines.append(f"{known.names[i]} and {known.names[j]} are {distance:.2f} apart")
        return lines

    def summary(self, root: Path | None = None) -> str:
        def show(path: Path) -> str:
            return str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)

        known = self.known
        counts = {p: int((known.names == p).sum()) for p in known.people}
        lines = [
            f"enrolled {len(known.people)} people, {len(known.names)} encodings "
            f"({len(self.used)} photos used, {len(self.skipped)} skipped"
            + (f", {self.merged} merged" if self.merged else "")
            + ")"
        ]
        lines += [f"  {person}: {n} encoding{'s' if n != 1 else ''}" for person, n in counts.items()]
        lines += [f"  skipped {show(path)}: {reason}" for path, reason in self.skipped]
        lines += [f"  no usable photo of {person}" for person in self.empty]
        lines += [f"  warning: {w}" for w in self.warnings()]
        return "\n".join(lines)


def encode_photo(path: Path) -> tuple[np.ndarray | None, str]:
    """The encoding of the one face in ``path``, or None and why not."""
    try:
        rgb = decode_rgb(path.read_bytes())
    except (OSError, ValueError):
        return None, "not a decodable image"
    boxes = detect(rgb)
    if not boxes:
        return None, "no face found"
    if len(boxes) > 1:
        return None, f"{len(boxes)} faces found, expected one"
    return encode(rgb, boxes)[0].encoding, ""


def _photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def enroll(
    photos_dir: Path, merge: KnownFaces | None = None, progress: Callable[[str], None] | None = None
) -> Enrollment:
    """Encode every photo under ``photos_dir/<person>/``, after the encodings of ``merge``."""
    if not photos_dir.is_dir():
        raise NotADirectoryError(
            f"{photos_dir}: no such folder" if not photos_dir.exists() else f"{photos_dir} is not a folder"
        )
    result = Enrollment()
    if merge is not None:
        result.pairs = list(zip(merge.names.tolist(), merge.encodings, strict=True))
        result.merged = len(result.pairs)
    for entry in _photos(photos_dir):
        result.skipped.append((entry, "not in a person's folder"))
    for person_dir in sorted(p for p in photos_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        person = person_dir.name
        before = len(result.used)
        for photo in _photos(person_dir):
            if progress:
                progress(f"{person}/{photo.name}")
            encoding, reason = encode_photo(photo)
            if encoding is None:
                result.skipped.append((photo, reason))
                continue
            if any(name == person and np.array_equal(encoding, known) for name, known in result.pairs):
                result.skipped.append((photo, "already enrolled"))
                continue
            result.pairs.append((person, encoding))
            result.used.append(photo)
        if len(result.used) == before and not any(name == person for name, _ in result.pairs):
            result.empty.append(person)
    return result


def write(known: KnownFaces, path: Path) -> None:
    """Write atomically, so --out may be the --merge file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(known.to_bytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_enroll(args: argparse.Namespace, deployment: Callable) -> int:
    merge = seeding.read_known_faces(args.merge) if args.merge else None
    progress = None if args.quiet else (lambda name: print(f"encoding {name}", file=sys.stderr))
    with ExitStack() as resources:
        target = deployment(args, resources) if args.seed else None  # checked before the photos are read
        try:
            result = enroll(args.photos_dir, merge, progress)
        except NotADirectoryError as error:
            raise Mistake(
                f"{error} (PHOTOS_DIR/<name>/*.jpg: a folder of photos per person); check the path"
            ) from error
        print(result.summary(args.photos_dir))
        if not result.pairs:
            print("nothing enrolled; no file written", file=sys.stderr)
            return 1
        write(result.known, args.out)
        print(f"wrote {args.out}")
        if target is not None:
            seeding.seed_known_faces(target, args.out)
            print(f"uploaded to s3://{target['KnownFacesBucketName']}/{target['KnownFacesKey']}")
    return 0


def cmd_upload(args: argparse.Namespace, deployment: Callable) -> int:
    """Enrol on the stack: upload each person's folder and wait for their reports."""
    with ExitStack() as resources:
        target = deployment(args, resources)
        if not args.photos_dir.is_dir():
            raise Mistake(f"{args.photos_dir}: no such folder (PHOTOS_DIR/<name>/*.jpg); check the path")
        uploads = enrolment.upload(target, args.photos_dir)
        if not uploads:
            raise Mistake(f"{args.photos_dir} has no <name>/ folder with a .jpg, .jpeg, .png or .webp photo")
        for up in uploads:
            print(f"uploaded {len(up.keys)} photos of {up.name}", file=sys.stderr)
        reports = enrolment.wait(target, uploads, args.timeout)
        print(enrolment.summary(reports))
    return 0 if all(r["enrolled"] for r in reports.values()) else 1


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    parser = subparsers.add_parser(
        "enroll",
        help="build the known-faces file from PHOTOS_DIR/<person>/*.jpg",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("photos_dir", metavar="PHOTOS_DIR", type=Path, help="one sub-folder per person")
    parser.add_argument(
        "--out",
        type=Path,
        help="the known-faces file to write (.npz); without it, --endpoint/--stack enrol there",
    )
    parser.add_argument(
        "--merge", type=Path, metavar="EXISTING", help="add to this known-faces file (.npz or course pickle)"
    )
    parser.add_argument(
        "--seed", action="store_true", help="also upload it as the known faces of --endpoint or --stack"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-photo progress on stderr")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the reports (upload mode)"
    )
    add_target(parser)

    def handler(args: argparse.Namespace) -> int:
        if args.seed and not (args.endpoint or args.stack):
            parser.error("--seed needs --endpoint or --stack")
        if args.out is None:
            if args.seed or args.merge:
                parser.error("--seed and --merge work on the file --out writes: give --out FILE")
            if not (args.endpoint or args.stack):
                parser.error("give --out FILE, or --endpoint/--stack to enrol on a stack")
            return cmd_upload(args, deployment)
        return cmd_enroll(args, deployment)

    parser.set_defaults(handler=handler)
