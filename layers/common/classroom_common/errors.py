"""Typed errors the steps raise; their class names become the Step Functions ``Error``."""


class ClassroomError(Exception):
    """Base class: a failure a person can act on. Never retried by the state machine."""


class InvalidVideo(ClassroomError):
    """The upload is not a video OpenCV can decode (empty, truncated, or not a video at all)."""


class VideoMissing(ClassroomError):
    """The uploaded object (this version of it) no longer exists."""


class VideoTooLarge(ClassroomError):
    """The upload exceeds a configured limit on bytes, duration or resolution."""


class KnownFacesUnavailable(ClassroomError):
    """The known-faces object is missing or unreadable."""


class StudentTableUnavailable(ClassroomError):
    """The student table cannot be read."""
