"""RecordAttendance: an upload to a course (``COURSE/SESSION.mp4``, ``COURSE/SESSION/PART.mp4``, the
course having a roster) is recorded as its session's attendance, and the course's register rewritten
(contract: ``classroom_common.states``). An upload outside any course records nothing."""

import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import courses
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Attendance, Lookup, Video
from classroom_common.register import Part, place
from classroom_common.states import AttendanceRecorded, RecordAttendanceInput
from sessions import ATTEMPTS, Thresholds, publish

THRESHOLDS = Thresholds(
    late_after=float(os.environ.get("LATE_AFTER_SECONDS", "300")),
    left_early=float(os.environ.get("LEFT_EARLY_SECONDS", "300")),
)


@tracer.capture_method
def record(
    video: Video, attendance: Attendance | None, lookup: Lookup, duration: float
) -> AttendanceRecorded:
    """This upload's part of its session, then the session's statuses and the course's register,
    recomputed from the table until no other upload of the course was recorded meanwhile."""
    where = place(video.key)
    table = env("COURSES_TABLE")
    if where is None or not courses.roster(table, where.course):
        return AttendanceRecorded()
    part = Part(part=where.part, duration=duration, students=attendance.students if attendance else [])
    courses.put_part(table, where.course, where.session, part, video.version_id or video.etag)
    courses.bump(table, where.course)
    for _ in range(ATTEMPTS):
        seen_at = courses.revision(table, where.course)
        recorded = publish(table, env("OUTPUT_BUCKET"), where, lookup, THRESHOLDS)
        if courses.revision(table, where.course) == seen_at:
            return recorded
    logger.warning("the course kept changing; the next upload's register will include this one")
    return recorded


@step_handler
@event_parser(model=RecordAttendanceInput)
def lambda_handler(event: RecordAttendanceInput, context: LambdaContext) -> dict:
    logger.append_keys(video=event.video.key)
    result = record(event.video, event.attendance, event.lookup, event.duration)
    if result.course:
        logger.info("attendance recorded", extra=result.model_dump())
        metrics.add_metric(name="StudentsAbsent", unit=MetricUnit.Count, value=len(result.absent))
    return result.model_dump()
