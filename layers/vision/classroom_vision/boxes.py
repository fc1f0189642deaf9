"""A face's place in a picture, in plain ints: no detector's own type leaves the package."""

from typing import NamedTuple


class Box(NamedTuple):
    """Pixel rows and columns of a face in the full-size picture, bounds included (as dlib counts them);
    in face_recognition's order, so ``top, right, bottom, left = box`` reads as it always has."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def area(self) -> int:
        return self.width * self.height


def largest(boxes: list[Box], limit: int) -> list[Box]:
    """The ``limit`` largest faces: a bound on encoding time (about 11 ms a face) for crowded frames."""
    return sorted(boxes, key=lambda box: box.area, reverse=True)[:limit]
