"""The common layer's packages: every distribution pip resolved for requirements.txt (its ``--report``),
pinned to the version it chose, less those Lambda's runtime already provides (runtime-provided.txt).

    python pin_closure.py REPORT.json runtime-provided.txt > pinned.txt

Installed with ``--no-deps``, the layer then holds exactly what the runtime lacks: no second botocore.
"""

import json
import re
import sys
from pathlib import Path


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them (``Python_Dateutil`` is ``python-dateutil``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_provided(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {normalized(line) for line in lines if line}


def pinned(report: dict, provided: set[str]) -> list[str]:
    """``name==version`` for each resolved distribution the runtime does not provide, sorted."""
    chosen = {normalized(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}
    return sorted(f"{name}=={version}" for name, version in chosen.items() if name not in provided)


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[0]).read_text())
    print("\n".join(pinned(report, runtime_provided(Path(argv[1])))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
