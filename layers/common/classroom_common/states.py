"""Each state's contract: what its Lambda is given and what it returns, in the order the state machine
runs them (``statemachine/recognition.asl.yaml``).

Every input names its state (``state``, which the ASL sets from ``$$.State.Name``), and a Lambda that
serves several states parses its input as the union of theirs, tagged by that name: no handler works
out what to do from which keys happen to be present. ``CONTRACTS`` (at the end) lists every state with
its Lambda, input and output; ``docs/architecture.md`` has the same table with each handler's entry point.
"""

from typing import Annotated, Any, Literal, NamedTuple

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import BaseModel, Field

from classroom_common.models import (
    Attendance,
    CsvReport,
    Frames,
    Lecture,
    Lookup,
    Recognition,
    Segment,
    SegmentResult,
    Video,
)
from classroom_common.votes import Tally

# --- ExtractFramesFunction: ExtractFrames, ExtractMoreFrames, ExtractSegment ---------------------------


class ExtractFramesInput(BaseModel):
    """The upload's S3 ``Object Created`` event, as EventBridge delivered it to the state machine."""

    state: Literal["ExtractFrames"]
    upload: S3EventNotificationEventBridgeModel


class ExtractedFrames(BaseModel):
    """The upload and its first batch of frames; for a lecture, its plan (then ``frames`` holds no
    frames, only the video's metadata)."""

    video: Video
    frames: Frames
    lecture: Lecture | None = None


class ExtractMoreFramesInput(BaseModel):
    """A clip whose first batch did not settle who is there: ``frames.remaining`` are still to decode."""

    state: Literal["ExtractMoreFrames"]
    video: Video
    frames: Frames


class ExtractSegmentInput(BaseModel):
    """One segment of a lecture (an iteration of the Map): ``frames`` has the video's metadata."""

    state: Literal["ExtractSegment"]
    video: Video
    frames: Frames
    segment: Segment


class NextFrames(BaseModel):
    """A batch of frames decoded and stored (ExtractMoreFrames, ExtractSegment)."""

    frames: Frames


ExtractFramesEvent = Annotated[
    ExtractFramesInput | ExtractMoreFramesInput | ExtractSegmentInput, Field(discriminator="state")
]

# --- RecognizeFacesFunction: RecognizeFaces (a clip's batches, the MoreFrames loop), RecognizeSegment --


class Carry(BaseModel):
    """What a clip's next batch of frames carries on from: the votes, the sightings and the faces
    followed so far (those hold encodings: stored beside the frames, their key carried)."""

    tally: Tally
    sightings: Attendance
    tracks_key: str | None = None


class Batch(BaseModel):
    """A batch of a clip's frames; ``carry`` is None for the first."""

    video: Video
    frames: Frames
    carry: Carry | None = None


class RecognizeFacesInput(BaseModel):
    """The state document of a clip's run (``batch``: the first batch, or the next with its carry)."""

    state: Literal["RecognizeFaces"]
    batch: Batch


class Recognized(BaseModel):
    """The answer so far and, when the frames looked at do not settle it, what the next batch carries
    on from (the MoreFrames choice reads ``carry``); a lecture's merge leaves ``carry`` out."""

    recognition: Recognition
    carry: Carry | None = None


class RecognizeSegmentInput(BaseModel):
    """One segment of a lecture, its frames extracted: every frame is looked at (attendance needs each)."""

    state: Literal["RecognizeSegment"]
    video: Video
    frames: Frames
    segment: Segment


RecognizeFacesEvent = Annotated[RecognizeFacesInput | RecognizeSegmentInput, Field(discriminator="state")]

# --- MergeSegmentsFunction: MergeSegments (returns a Recognition) -------------------------------------


class MergeSegmentsInput(BaseModel):
    """The Map's results: where each segment's recognition is stored."""

    state: Literal["MergeSegments"]
    video: Video
    segments: list[SegmentResult]


# --- LookupStudentsFunction: LookupStudents (returns a Lookup) -----------------------------------------


class LookupStudentsInput(BaseModel):
    state: Literal["LookupStudents"]
    recognition: Recognition


# --- WriteCsvFunction: WriteCsv (returns a CsvReport) ---------------------------------------------------


class WriteCsvInput(BaseModel):
    """The upload, its students' records and when each was seen (no attendance: the CSV alone)."""

    state: Literal["WriteCsv"]
    video: Video
    lookup: Lookup
    attendance: Attendance | None = None


# --- RecordAttendanceFunction: RecordAttendance ----------------------------------------------------------


class RecordAttendanceInput(BaseModel):
    """The upload, who was seen when in it, their records, and its length (a photo: 0)."""

    state: Literal["RecordAttendance"]
    video: Video
    attendance: Attendance | None = None
    lookup: Lookup
    duration: float


class AttendanceRecorded(BaseModel):
    """Where the upload's session and the course's register were written; all None for an upload
    outside any course (a key whose first folder has no roster)."""

    course: str | None = None
    session: str | None = None
    register_key: str | None = None
    attendance_key: str | None = None
    absent: list[str] = Field(default_factory=list)
    visitors: list[str] = Field(default_factory=list)


# --- ReportFailureFunction: ReportFailure ------------------------------------------------------------


class ReportFailureInput(BaseModel):
    """The failed run's whole state document (``failed.<state>`` holds the error) and its execution."""

    state: Literal["ReportFailure"]
    run: dict[str, Any]
    execution: str


class FailureReport(BaseModel):
    """``errors/<video key>.json``; the Failed state ends the run with its ``error`` and ``cause``."""

    video: dict[str, Any]
    step: str
    error: str
    cause: str
    hint: str | None
    execution: str
    trace: list[str] = Field(default_factory=list)
    report_key: str


# --- EnrollStudentsFunction: no state; an EventBridge rule on enrollment/ in the known-faces bucket ----


class EnrollmentObject(BaseModel):
    """The photo created or deleted (URL-encoded, as S3 sends it; a deletion has no size or ETag)."""

    key: str


class EnrollmentBucket(BaseModel):
    name: str


class EnrollmentDetail(BaseModel):
    bucket: EnrollmentBucket
    object: EnrollmentObject


class EnrollStudentInput(BaseModel):
    """S3's ``Object Created`` or ``Object Deleted`` event for a key under ``enrollment/<name>/``, as
    the rule delivers it to the function: the student's photos changed, their encodings follow."""

    source: Literal["aws.s3"]
    detail_type: Literal["Object Created", "Object Deleted"] = Field(alias="detail-type")
    detail: EnrollmentDetail


class PhotoOutcome(BaseModel):
    """One photo: used (an encoding of the student), or rejected and why."""

    key: str
    used: bool
    reason: str | None = None
    looks_like: str | None = None  # another enrolled student this face is under the match threshold of
    distance: float | None = None


class EnrollmentReport(BaseModel):
    """``enrollment-reports/<name>.json`` in the output bucket; ``enrolled`` is False when no photo
    could be used (the student then has no encodings)."""

    student: str
    enrolled: bool
    encodings: int
    photos: list[PhotoOutcome]
    known_faces_etag: str | None = None
    report_key: str


class Contract(NamedTuple):
    """A state's Lambda (its logical id in template.yaml), what it is given and what it returns."""

    function: str
    input: type[BaseModel]
    output: type[BaseModel]


CONTRACTS: dict[str, Contract] = {
    "ExtractFrames": Contract("ExtractFramesFunction", ExtractFramesInput, ExtractedFrames),
    "RecognizeFaces": Contract("RecognizeFacesFunction", RecognizeFacesInput, Recognized),
    "ExtractMoreFrames": Contract("ExtractFramesFunction", ExtractMoreFramesInput, NextFrames),
    "ExtractSegment": Contract("ExtractFramesFunction", ExtractSegmentInput, NextFrames),
    "RecognizeSegment": Contract("RecognizeFacesFunction", RecognizeSegmentInput, SegmentResult),
    "MergeSegments": Contract("MergeSegmentsFunction", MergeSegmentsInput, Recognition),
    "LookupStudents": Contract("LookupStudentsFunction", LookupStudentsInput, Lookup),
    "WriteCsv": Contract("WriteCsvFunction", WriteCsvInput, CsvReport),
    "RecordAttendance": Contract("RecordAttendanceFunction", RecordAttendanceInput, AttendanceRecorded),
    "ReportFailure": Contract("ReportFailureFunction", ReportFailureInput, FailureReport),
}
