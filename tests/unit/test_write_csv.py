"""Step 4: ``<video key without extension>.csv`` (name,major,year) in the output bucket."""

import json

import pytest


@pytest.fixture
def write_csv(load):
    handler = load("write_csv")
    return lambda event: handler({"state": "WriteCsv", **event})


def video(key: str) -> dict:
    return {"bucket": "smart-classroom-inputbucket", "key": key, "etag": "e1", "size": 10, "version_id": "v1"}


def read(cloud, key: str) -> tuple[str, str]:
    obj = cloud.s3.get_object(Bucket=cloud["OutputBucketName"], Key=key)
    return obj["Body"].read().decode(), obj["ContentType"]


def test_csv_rows_sorted_by_name_at_the_mirrored_key(cloud, write_csv):
    students = [
        {"name": "president_trump", "major": "physics", "year": "junior"},
        {"name": "mr_bean", "major": "lawyer", "year": "freshmen"},
        {"name": "floki", "major": "history", "year": "junior"},
    ]
    result = write_csv({"video": video("a b/ç/test_0.mp4"), "lookup": {"students": students, "missing": []}})

    assert result == {
        "bucket": cloud["OutputBucketName"],
        "key": "a b/ç/test_0.csv",
        "rows": 3,
        "attendance_key": None,
    }
    text, content_type = read(cloud, "a b/ç/test_0.csv")
    assert text == (
        "name,major,year\nfloki,history,junior\nmr_bean,lawyer,freshmen\npresident_trump,physics,junior\n"
    )
    assert content_type == "text/csv"


def test_nobody_recognized_is_a_header_only_csv(cloud, write_csv):
    result = write_csv({"video": video("test_0.mp4"), "lookup": {"students": [], "missing": []}})
    assert result["rows"] == 0
    assert read(cloud, "test_0.csv")[0] == "name,major,year\n"


def test_a_person_without_a_student_record_has_a_row_with_empty_major_and_year(cloud, write_csv):
    """Recognized but not in the student table: in the CSV by name, in name order, not dropped."""
    students = [{"name": "floki", "major": "history", "year": "junior"}]
    lookup = {"students": students, "missing": ["alex_lacamoire", "zed"]}
    result = write_csv({"video": video("class.mp4"), "lookup": lookup})
    assert result["rows"] == 3
    assert read(cloud, "class.csv")[0] == "name,major,year\nalex_lacamoire,,\nfloki,history,junior\nzed,,\n"


@pytest.mark.parametrize(
    ("video_key", "csv_key"),
    [
        ("test_0.mp4", "test_0.csv"),
        ("2024/fall/cs546/test_7.mp4", "2024/fall/cs546/test_7.csv"),
        ("x+y/100%/lecture #1.MP4", "x+y/100%/lecture #1.csv"),
        ("no_extension", "no_extension.csv"),
    ],
)
def test_the_csv_key_mirrors_the_video_key(cloud, write_csv, video_key, csv_key):
    result = write_csv({"video": video(video_key), "lookup": {"students": [], "missing": []}})
    assert result["key"] == csv_key
    keys = [o["Key"] for o in cloud.s3.list_objects_v2(Bucket=cloud["OutputBucketName"])["Contents"]]
    assert keys == [csv_key]


def test_fields_needing_quotes_are_quoted(cloud, write_csv):
    students = [{"name": "o'neil, pat", "major": 'math "pure"', "year": "senior"}]
    write_csv({"video": video("q.mp4"), "lookup": {"students": students, "missing": []}})
    assert read(cloud, "q.csv")[0] == 'name,major,year\n"o\'neil, pat","math ""pure""",senior\n'


def test_attendance_is_written_beside_the_csv_with_each_students_record(cloud, write_csv):
    students = [{"name": "floki", "major": "history", "year": "junior"}]
    attendance = {
        "frames_sampled": 90,
        "students": [
            {"name": "floki", "first_seen": 1230.0, "last_seen": 2370.0, "frames_seen": 20},
            {"name": "bush", "first_seen": 1830.0, "last_seen": 3570.0, "frames_seen": 30},
        ],
    }
    event = {
        "video": video("2024/lecture 1.mp4"),
        "lookup": {"students": students, "missing": ["bush"]},
        "attendance": attendance,
    }
    result = write_csv(event)
    assert result["attendance_key"] == "2024/lecture 1.attendance.json"
    text, content_type = read(cloud, "2024/lecture 1.attendance.json")
    assert content_type == "application/json"
    assert json.loads(text) == {
        "video": "2024/lecture 1.mp4",
        "frames_sampled": 90,
        "students": [
            {
                "name": "floki",
                "major": "history",
                "year": "junior",
                "first_seen": 1230.0,
                "last_seen": 2370.0,
                "frames_seen": 20,
            },
            {
                "name": "bush",
                "major": None,
                "year": None,
                "first_seen": 1830.0,
                "last_seen": 3570.0,
                "frames_seen": 30,
            },
        ],
    }
    assert read(cloud, "2024/lecture 1.csv")[0] == "name,major,year\nbush,,\nfloki,history,junior\n"
