"""The payloads the steps pass each other through the state machine (keys, never pixels)."""

from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import BaseModel, Field

AGREEING_FRAMES = 2  # consecutive frames that must agree before recognition stops; the first batch's size


class Video(BaseModel):
    """The uploaded object, identified by key and content (ETag, and version when enabled)."""

    bucket: str
    key: str
    etag: str
    size: int
    version_id: str | None = None

    @classmethod
    def from_event(cls, event: "dict | S3EventNotificationEventBridgeModel") -> "Video":
        """From an S3 ``Object Created`` EventBridge event, whose key is URL-encoded."""
        parsed = S3EventNotificationEventBridgeModel.model_validate(event)
        obj = parsed.detail.object
        return cls(
            bucket=parsed.detail.bucket.name,
            key=unquote_plus(obj.key),
            etag=obj.etag,
            size=int(obj.size or 0),
            version_id=obj.version_id,
        )


class Frames(BaseModel):
    """A batch of JPEG frames sampled across the clip, in the artifacts bucket, with the clip's metadata.

    ``keys``/``indices`` are in the order recognition looks at them; ``remaining`` are the sampled
    frames not extracted yet (in that order too), asked for only if these do not settle the answer.
    """

    bucket: str
    keys: list[str]
    indices: list[int]
    remaining: list[int] = Field(default_factory=list)
    fps: float
    frame_count: int
    duration: float
    width: int
    height: int


class Segment(BaseModel):
    """A run of a lecture's sampled frames: what one iteration of the Map extracts and recognizes."""

    index: int
    indices: list[int] = Field(description="sampled frame indices, in order")


class Lecture(BaseModel):
    """How a video longer than ``LectureSeconds`` is covered: sampled every ``interval`` seconds (more
    often in the first ``arrival`` seconds), in ``segments`` that a Map state recognizes in parallel."""

    interval: float
    arrival: float
    samples: int
    concurrency: int = Field(description="the Map's MaxConcurrency (MaxConcurrencyPath)")
    segments: list[Segment]


class Match(BaseModel):
    name: str
    distance: float = Field(description="best (smallest) face distance over the frames")
    frames: int = Field(description="sampled frames the person was seen in")


class Presence(BaseModel):
    """When one person was seen: seconds into the video of the first and last sampled frame they were
    named in, and in how many sampled frames."""

    name: str
    first_seen: float
    last_seen: float
    frames_seen: int


class Attendance(BaseModel):
    """Who was seen when, over ``frames_sampled`` frames looked at."""

    frames_sampled: int = 0
    students: list[Presence] = Field(default_factory=list)


class Recognition(BaseModel):
    """The answer: who was recognized (by the votes), the counts of the faces, and when each was seen."""

    students: list[Match]
    unknown_faces: int = Field(description="most faces matching nobody in any one frame")
    frames_used: int
    faces: int = Field(description="faces encoded over all frames used")
    faces_not_encoded: int = Field(
        0, description="faces too small to name (under 24 px) or over the per-frame cap (MAX_FACES_PER_FRAME)"
    )
    annotated_key: str | None = None
    attendance: Attendance = Field(default_factory=Attendance, description="when each person was seen")


class SegmentResult(BaseModel):
    """What one Map iteration returns: where its Recognition (with every sighting) is, in the artifacts
    bucket (the Map's results stay small whatever the class size), and a summary for the history."""

    segment: int
    bucket: str
    key: str
    frames_used: int
    people: int = Field(description="people recognized in this segment")


class Student(BaseModel):
    name: str
    major: str
    year: str


class CsvReport(BaseModel):
    """Where the CSV (and ``<video stem>.attendance.json`` beside it) was written."""

    bucket: str
    key: str
    rows: int
    attendance_key: str | None = None


class Lookup(BaseModel):
    students: list[Student]
    missing: list[str] = Field(description="recognized people with no student record")


class Part(BaseModel):
    """One segment of one upload: the idempotency key of per-segment work."""

    video: Video
    segment: Segment
