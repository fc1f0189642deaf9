"""Where each artifact of a run lives: the output mirrors the upload's key, prefixes and all."""

import pytest

from classroom_common import keys


@pytest.mark.parametrize(
    ("video_key", "expected"),
    [
        ("test_0.mp4", "test_0"),
        ("class/2024/test_0.mp4", "class/2024/test_0"),
        ("2024/fall/cs546/test_7.mp4", "2024/fall/cs546/test_7"),
        ("a b/ç/test_0.mp4", "a b/ç/test_0"),
        ("lecture 1 (part 2).MP4", "lecture 1 (part 2)"),
        ("日本語/授業.mp4", "日本語/授業"),
        ("v1.2/clip.final.mp4", "v1.2/clip.final"),  # only the last suffix goes
        ("dir.with.dots/clip", "dir.with.dots/clip"),  # no suffix: a dot in a prefix is not one
        ("clip", "clip"),
        ("a+b/100%/x.mp4", "a+b/100%/x"),  # decoded keys keep their literal characters
    ],
)
def test_stem_drops_only_the_extension(video_key, expected):
    assert keys.stem(video_key) == expected


@pytest.mark.parametrize(
    ("video_key", "expected"),
    [
        ("a//b.mp4", "a//b"),  # S3 keys are strings, not paths: "//" and "./" are part of the key
        ("./x.mp4", "./x"),
        ("a/./b.mp4", "a/./b"),
        ("a/b.mp4/", "a/b.mp4/"),  # the last segment is empty: no suffix to drop
        (".mp4", ".mp4"),  # a dot file has no suffix, as pathlib says
        ("a/.mp4", "a/.mp4"),
        ("clip.", "clip."),
    ],
)
def test_stem_does_not_normalise_the_key_like_a_path(video_key, expected):
    assert keys.stem(video_key) == expected


@pytest.mark.parametrize(
    ("video_key", "expected"),
    [
        ("test_0.mp4", "test_0.csv"),
        ("a b/ç/test_0.mp4", "a b/ç/test_0.csv"),
        ("2024/fall/cs546/test_7.mp4", "2024/fall/cs546/test_7.csv"),
        ("no_extension", "no_extension.csv"),
    ],
)
def test_csv_key_mirrors_the_video_key(video_key, expected):
    assert keys.csv_key(video_key) == expected


@pytest.mark.parametrize(
    "video_key", ["test_0.mp4", "a b/ç/test_0.mp4", "2024/fall/cs546/test_7.mp4", "x.tar.gz"]
)
def test_error_report_key_keeps_the_whole_video_key(video_key):
    assert keys.error_report_key(video_key) == f"errors/{video_key}.json"


def test_run_prefix_is_per_upload():
    a = keys.run_prefix("a b/ç/test_0.mp4", "etag1")
    assert a == "runs/a b/ç/test_0/etag1/"
    assert keys.run_prefix("a b/ç/test_0.mp4", "etag2") != a  # a new upload to the same key
    assert keys.run_prefix("a b/ç/test_0.mp4", "etag1") == a  # the same upload, again


def test_downloaded_keys_stay_inside_the_output_folder(tmp_path):
    from devstack.runs import local_path

    assert local_path(tmp_path, "a b/ç/test_0.csv") == tmp_path / "a b" / "ç" / "test_0.csv"
    for key in ("../../etc/passwd.csv", "/abs/x.csv", "a/../../x.csv", "./x.csv"):
        assert tmp_path in local_path(tmp_path, key).parents, key
