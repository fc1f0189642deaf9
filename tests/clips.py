"""``synthetic.clips`` under the name tests/unit/test_extract_frames.py imports it by."""

from synthetic.clips import write_clip, write_encoded

__all__ = ["write_clip", "write_encoded"]
