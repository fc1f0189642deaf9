"""Where each artifact of a run lives in S3."""


def stem(video_key: str) -> str:
    """``class/2024/test_0.mp4`` -> ``class/2024/test_0`` (prefixes kept).

    String operations, not ``PurePosixPath``: an S3 key is not a path, and ``a//b.mp4`` or
    ``./b.mp4`` must not be normalised into another key.
    """
    prefix, slash, name = video_key.rpartition("/")
    base, _dot, suffix = name.rpartition(".")
    return f"{prefix}{slash}{base}" if base and suffix else video_key


def csv_key(video_key: str) -> str:
    return f"{stem(video_key)}.csv"


def attendance_key(video_key: str) -> str:
    return f"{stem(video_key)}.attendance.json"


def error_report_key(video_key: str) -> str:
    return f"errors/{video_key}.json"


def run_prefix(video_key: str, etag: str) -> str:
    """Artifacts of one upload: the same object always maps to the same prefix."""
    return f"runs/{stem(video_key)}/{etag}/"
