"""The shell commands of a documentation section, read from the Markdown itself so the tests that run them
and the page cannot drift apart: each command with what its comment says it prints."""

import re
from dataclasses import dataclass
from pathlib import Path

HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")
COMMENT = re.compile(r"\s+#\s")


@dataclass(frozen=True)
class Command:
    text: str  # as written, a here-document's lines included
    prints: str  # its comment: what it prints, "…" standing for what is left out ("" if none)

    def fragments(self) -> list[str]:
        """The comment's parts between the "…", whitespace collapsed: they appear in this order."""
        return [squeeze(part) for part in self.prints.split("…") if part.strip()]


def squeeze(text: str) -> str:
    return " ".join(text.split())


def section(page: Path, heading: str) -> str:
    """The text under ``heading`` (a Markdown heading line) up to the next heading of its level or above."""
    lines = page.read_text().splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    start = lines.index(heading) + 1
    end = next(
        (i for i in range(start, len(lines)) if re.match(rf"#{{1,{level}}} ", lines[i])),
        len(lines),
    )
    return "\n".join(lines[start:end])


def blocks(text: str, language: str = "sh") -> list[str]:
    """The fenced code blocks of ``language`` in ``text``."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def commands(block: str) -> list[Command]:
    """The block's commands, one a line, a here-document kept with the line that opens it."""
    found: list[Command] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        text, prints = [*COMMENT.split(line, maxsplit=1), ""][:2]
        if heredoc := HEREDOC.search(text):
            body = []
            while lines[i] != heredoc[1]:
                body.append(lines[i])
                i += 1
            text = "\n".join([text, *body, lines[i]])
            i += 1
        found.append(Command(text.strip(), prints.strip()))
    return found
