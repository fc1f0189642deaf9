"""Classrooms as real cameras record them, through the local stack: every student named, and no one else.

The videos are generated here, deterministically (``synthetic/cameras.py``): the course's eight students
and strangers from tests/data/faces in a room, seen by a ceiling camera (heads from above), in a dim room,
through a shaking phone, with heads tilted 10-25 degrees, with a hand or a book over a face, and in a
class of 32; each through x264 at its camera's bitrate (1.2-3 Mbit/s, B-frames, a 250-frame GOP). Every
face stays visible to a person. Strangers may stay unknown faces; nobody may get a wrong name.
"""

import subprocess

import cv2
import pytest

from devstack import runs
from synthetic import cameras
from synthetic.scenes import STUDENTS

pytestmark = pytest.mark.stack
EVERYONE = sorted(s.name for s in STUDENTS)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, cameras.Video]:
    return cameras.make_all(tmp_path_factory.mktemp("cameras"))


@pytest.fixture(scope="module")
def outcomes(stack, videos) -> dict[str, runs.Outcome]:
    """Every video uploaded at once, and every run waited for."""
    uploads = {
        name: runs.upload(stack.deployment, video.path, key=f"cameras/{name}.mp4")
        for name, video in videos.items()
    }
    done = runs.wait(stack.deployment, list(uploads.values()), timeout=600)
    return dict(zip(uploads, done, strict=True))


def picture_types(path) -> dict[str, int]:
    """How many I, P and B pictures the video holds (ffmpeg's showinfo, as it decodes them)."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)]
    shown = subprocess.run(
        [*command, "-vf", "showinfo", "-f", "null", "-"], capture_output=True, text=True, check=True
    ).stderr
    return {kind: shown.count(f"type:{kind}") for kind in "IPB"}


@pytest.mark.parametrize("condition", list(cameras.CONDITIONS))
def test_the_video_is_what_its_camera_records(videos, condition):
    """H.264 at the camera's size, one keyframe, B-frames, and no more bits per frame than the camera's
    bitrate gives: the compression a camera applies, not a cleaner one."""
    video = videos[condition]
    camera = video.condition.camera
    capture = cv2.VideoCapture(str(video.path))
    size = (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    assert size == (camera.width, camera.height)
    assert count == video.frames == cameras.FPS * cameras.SECONDS
    types = picture_types(video.path)
    assert types["I"] == 1 and types["B"] >= count // 3, types
    budget = camera.kbps / camera.fps * 1000 / 8 * count  # bytes: the camera's bits per frame
    assert video.path.stat().st_size <= 1.1 * budget
    header = video.path.read_bytes()
    assert f"bframes={cameras.B_FRAMES}".encode() in header and f"keyint={cameras.GOP}".encode() in header
    assert video.students == EVERYONE
    assert all(sum(f.name == s for f in video.faces[i]) == 1 for s in EVERYONE for i in range(count))


def test_the_videos_are_the_same_every_time(videos, tmp_path):
    again = cameras.make("phone", tmp_path)
    assert again.path.read_bytes() == videos["phone"].path.read_bytes()


# Students these cameras leave beyond the encoder: in every sampled frame, and in the mean of their
# track, they are further from their own photo than the match threshold, and as far as strangers in
# the same rooms are from that student (floki, whose photo is nearest to strangers: 0.62-0.65). Naming
# them would name strangers too. Measured with `python -m bench.cameras --why` (docs/benchmarks.md).
BEYOND = {
    "dim": "floki: 0.64-0.70 from his photo in every frame, his track's mean 0.647 (strangers: 0.622)",
    "phone": "floki (mean 0.617) and mr_bean (0.684), 50 px faces through 1.2 Mbit/s x264",
}
NAMED = [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=BEYOND[name])) if name in BEYOND else name
    for name in cameras.CONDITIONS
]


@pytest.mark.parametrize("condition", NAMED)
def test_every_student_is_named(outcomes, videos, condition):
    outcome = outcomes[condition]
    assert outcome.status == "SUCCEEDED", outcome
    assert sorted(s["name"] for s in outcome.students) == videos[condition].students == EVERYONE


@pytest.mark.parametrize("condition", list(cameras.CONDITIONS))
def test_no_one_is_named_wrongly_and_most_are_named(outcomes, videos, condition):
    """Whatever the camera: no name of someone who is not there, and at most two students missed."""
    outcome = outcomes[condition]
    assert outcome.status == "SUCCEEDED", outcome
    named = {s["name"] for s in outcome.students}
    assert named <= set(videos[condition].students)
    assert len(named) >= len(EVERYONE) - 2


@pytest.mark.parametrize("condition", list(cameras.CONDITIONS))
def test_the_unknown_faces_are_strangers_or_students_left_unnamed(outcomes, videos, condition):
    """A face left unknown is a stranger or a student the run could not name, never a face counted
    twice or a poster."""
    outcome = outcomes[condition]
    assert outcome.status == "SUCCEEDED", outcome
    missed = len(EVERYONE) - len(outcome.students)
    assert outcome.unknown_faces <= videos[condition].strangers + missed
