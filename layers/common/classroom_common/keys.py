"""Where each artifact of a run lives in S3."""

from pathlib import PurePosixPath


def stem(video_key: str) -> str:
    """``class/2024/test_0.mp4`` -> ``class/2024/test_0`` (prefixes kept)."""
    path = PurePosixPath(video_key)
    return str(path.with_suffix("")) if path.suffix else video_key


def csv_key(video_key: str) -> str:
    return f"{stem(video_key)}.csv"


def error_report_key(video_key: str) -> str:
    return f"errors/{video_key}.json"


def run_prefix(video_key: str, etag: str) -> str:
    """Artifacts of one upload: the same object always maps to the same prefix."""
    return f"runs/{stem(video_key)}/{etag}/"
