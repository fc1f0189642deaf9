"""Text for the pages: HTML escaping and durations."""

import html


def esc(text: object) -> str:
    """``text`` safe inside HTML, attributes included."""
    return html.escape(str(text), quote=True)


def seconds_text(value: float | None) -> str:
    """A duration as people read it: ``840 ms``, ``2.15 s``, or ``–`` when unknown."""
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
