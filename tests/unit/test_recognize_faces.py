"""Step 2: detect, encode and match the faces in the sampled frames (real frames, real dlib)."""

import cv2
import numpy as np
import pytest

from classroom_common.errors import KnownFacesUnavailable
from classroom_common.models import Attendance
from classroom_common.votes import Tally
from classroom_vision.known_faces import KnownFaces
from tests.conftest import EXPECTED
from tests.unit.conftest import clip_jpegs, course_known_faces, record_calls

# Two clips of different people, each face large: one the person, the other an intruder among its frames.
CLIP, INTRUDER_CLIP = "test_7.mp4", "test_2.mp4"
PERSON, INTRUDER = EXPECTED[CLIP][0], EXPECTED[INTRUDER_CLIP][0]


def clip(name: str = CLIP) -> list[bytes]:
    return [jpeg for _index, jpeg in clip_jpegs(name)]


@pytest.fixture
def recognize(load):
    return load("recognize_faces")


def put_known_faces(cloud, known: KnownFaces) -> str:
    """Store the known faces where the step reads them; returns the new object's ETag."""
    env = cloud.env
    response = cloud.s3.put_object(
        Bucket=env["KNOWN_FACES_BUCKET"], Key=env["KNOWN_FACES_KEY"], Body=known.to_bytes()
    )
    return response["ETag"]


def put_frames(cloud, jpegs: list[bytes], run: str = "runs/test_7/etag0/") -> dict:
    """A ``frames`` payload (as step 1 returns it) for these JPEGs, stored in the artifacts bucket."""
    bucket = cloud["ArtifactsBucketName"]
    keys = []
    for i, jpeg in enumerate(jpegs):
        key = f"{run}frames/{i:06d}.jpg"
        cloud.s3.put_object(Bucket=bucket, Key=key, Body=jpeg, ContentType="image/jpeg")
        keys.append(key)
    return {
        "bucket": bucket,
        "keys": keys,
        "indices": list(range(len(keys))),
        "fps": 23.976,
        "frame_count": len(keys),
        "duration": len(keys) / 23.976,
        "width": 1280,
        "height": 720,
    }


def video(key: str = CLIP, etag: str = "etag0") -> dict:
    return {"bucket": "smart-classroom-inputbucket", "key": key, "etag": etag, "size": 322588}


def batch(frames: dict, carry: dict | None = None, etag: str = "etag0") -> dict:
    """RecognizeFaces' input: a batch of the clip's frames, with the carry of the batch before it."""
    return {"state": "RecognizeFaces", "batch": {"video": video(etag=etag), "frames": frames, "carry": carry}}


@pytest.fixture
def env(cloud, recognize):
    cloud.env = recognize.spec.environment
    return cloud


def test_the_person_in_the_clip_is_named(env, recognize):
    put_known_faces(env, course_known_faces())
    result = recognize(batch(put_frames(env, clip())))["recognition"]

    assert [s["name"] for s in result["students"]] == [PERSON]
    (person,) = result["students"]
    assert 0 < person["distance"] < float(recognize.spec.environment["MATCH_THRESHOLD"])
    assert person["frames"] == result["frames_used"]  # seen in every frame looked at
    assert result["unknown_faces"] == 0
    # two consecutive frames agreeing (one face, the same person) end the search early
    assert result["frames_used"] == 2
    assert result["faces"] == 2

    annotated = env.s3.get_object(Bucket=env["ArtifactsBucketName"], Key=result["annotated_key"])
    assert result["annotated_key"] == "runs/test_7/etag0/annotated.jpg"
    image = cv2.imdecode(np.frombuffer(annotated["Body"].read(), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (720, 1280, 3)


def test_someone_not_in_the_known_set_is_an_unknown_face(env, recognize):
    everyone = course_known_faces()
    others = everyone.names != PERSON
    put_known_faces(env, KnownFaces(everyone.names[others], everyone.encodings[others]))
    result = recognize(batch(put_frames(env, clip()[:2])))["recognition"]
    assert result["students"] == []
    assert result["unknown_faces"] == 1
    assert result["faces"] == 2


def test_a_chance_match_in_one_frame_is_dropped(env, recognize):
    """Frames are looked at in the order given: person, intruder, person, person… Frames 3 and 4
    agree, but the intruder is undecided (one vote), so all six are used; one vote is below the two
    needed."""
    put_known_faces(env, course_known_faces())
    person, intruder = clip(), clip(INTRUDER_CLIP)
    frames = [person[0], intruder[1], person[2], person[3], person[4], person[5]]
    result = recognize(batch(put_frames(env, frames)))["recognition"]
    assert result["frames_used"] == 6
    assert [s["name"] for s in result["students"]] == [PERSON]
    assert result["students"][0]["frames"] == 5
    assert result["unknown_faces"] == 0


def test_frames_without_faces_are_counted_but_never_stop_the_search(env, recognize):
    put_known_faces(env, course_known_faces())
    _ok, blank = cv2.imencode(".jpg", np.full((180, 320, 3), 128, np.uint8))
    result = recognize(batch(put_frames(env, [blank.tobytes()] * 3)))["recognition"]
    assert result == {
        "students": [],
        "unknown_faces": 0,
        "frames_used": 3,
        "faces": 0,
        "faces_not_encoded": 0,
        "annotated_key": None,
        "attendance": {"frames_sampled": 3, "students": []},
    }


def test_a_first_batch_that_does_not_settle_asks_for_the_rest(env, recognize):
    """Person then intruder: no agreement yet, so the step asks for the remaining frames and hands
    on its tally; the next batch carries on from it and settles on the person."""
    put_known_faces(env, course_known_faces())
    person, intruder = clip(), clip(INTRUDER_CLIP)
    first = put_frames(env, [person[0], intruder[1]])
    first["remaining"] = [2, 3, 4, 5]
    so_far = recognize(batch(first))
    carry = so_far["carry"]
    assert carry is not None  # not settled: the MoreFrames choice asks for the rest
    assert so_far["recognition"]["frames_used"] == 2 and carry["tally"]["frames"] == 2
    assert so_far["recognition"]["students"] == []  # one vote each so far: neither is confirmed yet
    assert sorted(carry["tally"]["names"]) == sorted([PERSON, INTRUDER])
    assert sorted(p["name"] for p in carry["sightings"]["students"]) == sorted([PERSON, INTRUDER])

    rest = put_frames(env, [person[2], person[3], person[4], person[5]], "runs/test_7/etag0/more/")
    settled = recognize(batch(rest, carry))
    assert settled["carry"] is None
    result = settled["recognition"]
    assert result["frames_used"] == 6  # 2 + 4: the last ones agree, but the intruder stays undecided
    assert [s["name"] for s in result["students"]] == [PERSON]  # the intruder: 1 vote
    assert result["students"][0]["frames"] == 5
    assert result["annotated_key"] == so_far["recognition"]["annotated_key"]


def test_a_settled_first_batch_does_not_ask_for_more(env, recognize):
    put_known_faces(env, course_known_faces())
    first = put_frames(env, clip()[:2])
    first["remaining"] = [2, 3, 4, 5]
    result = recognize(batch(first))
    assert result["carry"] is None
    assert [s["name"] for s in result["recognition"]["students"]] == [PERSON]


def test_missing_known_faces_object_is_known_faces_unavailable(env, recognize):
    with pytest.raises(KnownFacesUnavailable, match=env.env["KNOWN_FACES_KEY"]):
        recognize(batch(put_frames(env, clip()[:1])))["recognition"]


def test_unreadable_known_faces_object_is_known_faces_unavailable(env, recognize):
    env.s3.put_object(
        Bucket=env.env["KNOWN_FACES_BUCKET"], Key=env.env["KNOWN_FACES_KEY"], Body=b"PK\x03\x04 not really"
    )
    with pytest.raises(KnownFacesUnavailable, match="not a known-faces file"):
        recognize(batch(put_frames(env, clip()[:1])))["recognition"]


def test_known_faces_are_read_again_only_when_their_etag_changes(env, load):
    recognize = load("recognize_faces", cold=True)  # an empty module cache
    bucket, key = env.env["KNOWN_FACES_BUCKET"], env.env["KNOWN_FACES_KEY"]
    everyone = course_known_faces()
    put_known_faces(env, everyone)
    calls = record_calls(env.s3)

    def gets():
        return [c for c in calls if c[0] == "GetObject" and c[1]["Key"] == key]

    first = recognize.module.known_faces(bucket, key)
    again = recognize.module.known_faces(bucket, key)
    assert again is first
    assert len(gets()) == 1  # the second call only asked for the ETag

    renamed = KnownFaces(
        np.where(everyone.names == PERSON, "someone_else", everyone.names), everyone.encodings
    )
    put_known_faces(env, renamed)
    assert recognize.module.known_faces(bucket, key).people == renamed.people
    assert len(gets()) == 2


def test_after_the_known_faces_change_the_next_upload_uses_the_new_set(env, load):
    recognize = load("recognize_faces", cold=True)
    everyone = course_known_faces()
    jpegs = clip()[:1]
    put_known_faces(env, everyone)
    before = recognize(batch(put_frames(env, jpegs, "runs/a/1/"), etag="upload1"))["recognition"]
    assert [s["name"] for s in before["students"]] == [PERSON]

    renamed = KnownFaces(np.where(everyone.names == PERSON, "renamed", everyone.names), everyone.encodings)
    put_known_faces(env, renamed)  # same object key, new content, new ETag
    after = recognize(batch(put_frames(env, jpegs, "runs/a/2/"), etag="upload2"))["recognition"]
    assert [s["name"] for s in after["students"]] == ["renamed"]
    assert after["students"][0]["distance"] == before["students"][0]["distance"]


# --- the vote, without images ------------------------------------------


def face(name, distance=0.4):
    from classroom_vision.matching import FaceMatch

    return FaceMatch(name, distance)


def test_two_votes_are_needed_once_two_frames_were_looked_at():
    expected = {1: 1, 2: 2, 3: 2, 4: 2, 8: 2, 9: 2, 20: 2, 60: 2}
    for frames, needed in expected.items():
        tally = Tally()
        for _ in range(frames):
            tally.add([])
        assert tally.votes_needed() == needed, frames


def test_stable_once_two_frames_with_faces_agree():
    tally = Tally()
    tally.add([face("a")])
    assert not tally.stable  # one frame is not agreement
    tally.add([face("a"), face("b")])
    assert not tally.stable  # a different set of people
    tally.add([face("a"), face("b", 0.3)])
    assert tally.stable  # same names, same unknown count; distances may differ


def test_unknown_counts_must_agree_too():
    tally = Tally()
    tally.add([face("a"), face(None, 0.9)])
    tally.add([face("a")])
    assert not tally.stable
    tally.add([face("a")])
    assert tally.stable


def test_an_unknown_face_that_could_be_a_student_keeps_the_search_going():
    """Two frames agree, but a face in both is unknown while near a known person (a student the camera
    blurs): the rest of the frames may name them. A face far from everyone is a stranger: no wait."""
    near = Tally()
    near.add([face("a"), face(None, 0.64)])
    near.add([face("a"), face(None, 0.66)])
    assert not near.stable
    far = Tally()
    far.add([face("a"), face(None, 0.85)])
    far.add([face("a"), face(None, 0.9)])
    assert far.stable


def test_a_name_seen_once_keeps_the_search_going():
    """A student seen in one frame and hidden in the next two: not settled until a second sighting."""
    tally = Tally()
    tally.add([face("a"), face("b")])
    tally.add([face("a"), face(None, 0.8)])
    tally.add([face("a"), face(None, 0.8)])
    assert not tally.stable
    tally.add([face("a"), face("b")])
    tally.add([face("a"), face("b")])
    assert tally.stable
    assert [m.name for m in tally.answer(Attendance(), None).students] == ["a", "b"]


def test_two_empty_frames_are_not_agreement():
    tally = Tally()
    tally.add([])
    tally.add([])
    assert not tally.stable


def test_result_keeps_people_with_enough_votes_and_their_best_distance():
    tally = Tally()
    tally.add([face("a", 0.5), face("b", 0.55)])
    tally.add([face("a", 0.31234567), face(None, 0.8)])
    tally.add([face("a", 0.45)])
    tally.add([face("a", 0.4), face(None, 0.7), face(None, 0.9)])
    result = tally.answer(Attendance(), None)
    assert result.frames_used == 4
    assert result.faces == 8
    assert result.unknown_faces == 2  # the most unknown faces in one frame, not the total
    assert [(m.name, m.distance, m.frames) for m in result.students] == [("a", 0.3123, 4)]  # b: 1 < 2 votes


def test_result_lists_people_sorted_by_name():
    tally = Tally()
    for _ in range(2):
        tally.add([face("zoe"), face("adam"), face("mia")])
    assert [m.name for m in tally.answer(Attendance(), None).students] == ["adam", "mia", "zoe"]


def test_crowded_frames_encode_only_the_largest_faces(env, load):
    """A bound on hostile input: past MAX_FACES_PER_FRAME, the smallest faces are counted, not encoded."""
    put_known_faces(env, course_known_faces())
    recognize = load("recognize_faces", MAX_FACES_PER_FRAME="0")
    result = recognize(batch(put_frames(env, clip()[:2])))["recognition"]
    assert result["faces"] == 0 and result["students"] == []
    assert result["faces_not_encoded"] >= 2
