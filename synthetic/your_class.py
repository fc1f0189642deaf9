"""The README's example class (``data/your-class/``): a short clip of two of the course's students beside
alex_lacamoire, who is not among the course's known faces, and a photo to enrol him from.

``python -m synthetic.your_class`` writes them again. The clip pastes alex_lacamoire's test photo
(``tests/data/faces/test/alex_lacamoire1.jpg``); the enrolment photo is his other one
(``tests/data/faces/train/alex_lacamoire/img1.jpg``), so the run recognises him from a picture he was not
enrolled from, as it would a real student.
"""

import shutil
from pathlib import Path

from synthetic.clips import write_encoded
from synthetic.scenes import PHOTOS, ROOT, STUDENTS, UNKNOWNS, Placement, compose, jitter

FOLDER = ROOT / "data" / "your-class"
CLIP = FOLDER / "class.mp4"
NEW_STUDENT = "alex_lacamoire"
ENROLMENT_PHOTO = PHOTOS / "train" / NEW_STUDENT / "img1.jpg"
WIDTH, HEIGHT, FRAMES, FPS = 1280, 720, 24, 12.0


def placements() -> list[Placement]:
    """president_obama, alex_lacamoire and floki, side by side in one row."""
    obama = next(s for s in STUDENTS if s.name == "president_obama")
    floki = next(s for s in STUDENTS if s.name == "floki")
    alex = next(s for s in UNKNOWNS if s.path.endswith("test/alex_lacamoire1.jpg"))
    return [
        Placement(obama, 150, (240, 380)),
        Placement(alex, 160, (640, 360)),
        Placement(floki, 150, (1040, 380)),
    ]


def write(folder: Path = FOLDER) -> list[Path]:
    """Write the clip and copy the enrolment photo into ``folder``; the files written."""
    scene = compose(WIDTH, HEIGHT, placements(), seed=24)
    folder.mkdir(parents=True, exist_ok=True)
    clip = write_encoded(folder / CLIP.name, jitter(scene.frame, FRAMES, seed=24), fps=FPS)
    photo = folder / "photos" / NEW_STUDENT / ENROLMENT_PHOTO.name
    photo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ENROLMENT_PHOTO, photo)
    return [clip, photo]


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(ROOT))
