"""Expand recognition.asl.yaml (the source, each retry policy written once as a YAML anchor) into
recognition.asl.json, the definition the template deploys and the local stack runs.

    python statemachine/expand.py          # write the JSON
    python statemachine/expand.py --check  # exit 1 if the JSON is not the YAML's expansion
"""

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SOURCE, TARGET = HERE / "recognition.asl.yaml", HERE / "recognition.asl.json"


def expanded(source: Path = SOURCE) -> str:
    """The YAML's definition as JSON text, every alias written out."""
    return json.dumps(yaml.safe_load(source.read_text()), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = expanded()
    if "--check" in argv:
        if TARGET.read_text() != text:
            print(f"{TARGET.name} is not the expansion of {SOURCE.name}: run `make asl`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
