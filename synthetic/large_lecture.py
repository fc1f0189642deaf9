"""A lecture as large as a camera's (1–2 GB an hour), made in seconds: one minute of 1080p H.264 at a
camera's bitrate (a student at the front, the sensor's noise changing every frame, so the encoder
cannot make it small), repeated with ffmpeg's stream copy until the file is as large as asked."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2

VIDEOS = Path(__file__).resolve().parent.parent / "data" / "sample-classroom" / "videos"
STUDENT = (VIDEOS / "test_0.mp4", 24)  # president_trump, facing the camera
FPS = 2
BITRATE = "8M"  # 61 MB a minute: 1 GB is 17 minutes, 2 GB 33
SEGMENT_SECONDS = 60


def write_large_lecture(path: Path, size: int) -> Path:
    """A valid MP4 of at least ``size`` bytes at ``path`` (kept if it is already there and that large);
    the same bytes every time for a given ffmpeg (x264 on one thread). Written beside and moved in
    whole: a cut-off file is not reused."""
    if path.exists() and path.stat().st_size >= size:
        return path
    import imageio_ffmpeg

    from synthetic.clips import still

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        frame, segment, whole = Path(tmp) / "still.png", Path(tmp) / "minute.mp4", Path(tmp) / path.name
        cv2.imwrite(str(frame), still(*STUDENT, size=(1920, 1080)))
        command = [ffmpeg, "-loglevel", "error", "-y", "-loop", "1", "-framerate", str(FPS), "-i", str(frame)]
        command += ["-t", str(SEGMENT_SECONDS), "-vf", "noise=alls=8:allf=t", "-c:v", "libx264"]
        command += ["-preset", "ultrafast", "-b:v", BITRATE, "-maxrate", BITRATE, "-bufsize", "16M"]
        command += ["-pix_fmt", "yuv420p", "-g", str(FPS * 10), "-threads", "1", str(segment)]  # repeatable
        subprocess.run(command, check=True)  # noqa: S603 (the wheel's ffmpeg, our arguments)
        repeats = -(-size // segment.stat().st_size)  # whole minutes, rounded up
        command = [ffmpeg, "-loglevel", "error", "-y", "-stream_loop", str(repeats - 1), "-i", str(segment)]
        subprocess.run([*command, "-c", "copy", str(whole)], check=True)  # noqa: S603
        shutil.move(whole, path)
    return path
