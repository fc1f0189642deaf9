"""The known-faces file: an npz read without pickle, and the course's pickle read through an
unpickler that admits NumPy's array globals and nothing else."""

import io
import os
import pickle
import subprocess

import numpy as np
import pytest

from classroom_vision.known_faces import ENCODING_SIZE, KnownFaces, from_course_pickle
from tests.conftest import EXPECTED
from tests.unit.conftest import COURSE_ENCODINGS


def random_faces(names: list[str], seed: int = 0) -> KnownFaces:
    rng = np.random.default_rng(seed)
    return KnownFaces.from_pairs([(n, rng.normal(0, 0.1, ENCODING_SIZE)) for n in names])


# --- npz --------------------------------------------------------------------------------------


def test_npz_round_trip_keeps_names_and_encodings_exactly():
    known = random_faces(["alice", "bob", "bob", "José", "李小龍"])
    back = KnownFaces.from_bytes(known.to_bytes())
    assert back.names.tolist() == ["alice", "bob", "bob", "José", "李小龍"]
    assert back.names.dtype.kind == "U"
    assert back.encodings.dtype == np.float64
    assert back.encodings.shape == (5, ENCODING_SIZE)
    np.testing.assert_array_equal(back.encodings, known.encodings)
    assert back.people == ["José", "alice", "bob", "李小龍"]


def test_npz_is_a_plain_numpy_archive_without_pickles():
    with np.load(io.BytesIO(random_faces(["a", "b"]).to_bytes()), allow_pickle=False) as npz:
        assert sorted(npz.files) == ["encodings", "names"]
        assert npz["names"].dtype.kind == "U"


def test_empty_known_faces_round_trip():
    empty = KnownFaces(np.array([], dtype=str), np.zeros((0, ENCODING_SIZE)))
    back = KnownFaces.from_bytes(empty.to_bytes())
    assert back.people == []
    assert back.encodings.shape == (0, ENCODING_SIZE)


def _corrupted(data: bytes) -> bytes:
    """The npz with part of its compressed stream overwritten."""
    broken = bytearray(data)
    broken[60:80] = b"x" * 20
    return bytes(broken)


GOOD_NPZ = random_faces(["a", "b"]).to_bytes()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an npz",
        b"PK\x03\x04 a zip header and nothing else",
        GOOD_NPZ[: len(GOOD_NPZ) // 2],
        _corrupted(GOOD_NPZ),
        pickle.dumps({"names": ["a"]}),
    ],
    ids=["empty", "text", "zip-header-only", "truncated-npz", "corrupt-npz", "a-pickle"],
)
def test_from_bytes_rejects_what_is_not_a_known_faces_file(data):
    """Every way a file can be wrong is a ValueError, which the step turns into KnownFacesUnavailable."""
    with pytest.raises(ValueError, match="not a known-faces file"):
        KnownFaces.from_bytes(data)


def test_from_bytes_rejects_an_npz_missing_an_array():
    buffer = io.BytesIO()
    np.savez(buffer, names=np.array(["a"]))
    with pytest.raises(ValueError, match="not a known-faces file"):
        KnownFaces.from_bytes(buffer.getvalue())


class _RunsACommand:
    """An object whose unpickling runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_from_bytes_never_unpickles_an_object_array(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    np.savez(
        buffer,
        names=np.array(["a"]),
        encodings=np.array([_RunsACommand(marker)], dtype=object),
    )
    with pytest.raises(ValueError, match="not a known-faces file"):
        KnownFaces.from_bytes(buffer.getvalue())
    assert not marker.exists()


# --- validation -------------------------------------------------------------------------------


def test_encodings_must_be_n_by_128():
    with pytest.raises(ValueError, match="N x 128"):
        KnownFaces(np.array(["a"]), np.zeros((1, 127)))
    with pytest.raises(ValueError, match="N x 128"):
        KnownFaces(np.array(["a"]), np.zeros(ENCODING_SIZE))


def test_every_encoding_needs_a_name():
    with pytest.raises(ValueError, match="2 names for 3 encodings"):
        KnownFaces(np.array(["a", "b"]), np.zeros((3, ENCODING_SIZE)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_encodings_must_be_finite(bad):
    encodings = np.zeros((2, ENCODING_SIZE))
    encodings[1, 7] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        KnownFaces(np.array(["a", "b"]), encodings)


def test_a_bad_npz_fails_validation_on_load():
    buffer = io.BytesIO()
    np.savez(buffer, names=np.array(["a", "b"]), encodings=np.zeros((1, ENCODING_SIZE)))
    with pytest.raises(ValueError, match="2 names for 1 encodings"):
        KnownFaces.from_bytes(buffer.getvalue())


def test_from_pairs_rejects_a_short_encoding():
    with pytest.raises(ValueError):
        KnownFaces.from_pairs([("a", np.zeros(ENCODING_SIZE)), ("b", np.zeros(100))])


# --- the course's pickle ----------------------------------------------------------------------


def test_course_pickle_converts_to_eleven_people():
    known = from_course_pickle(COURSE_ENCODINGS.read_bytes())
    assert len(known.people) == 11
    assert known.encodings.shape == (11, ENCODING_SIZE)
    assert known.encodings.dtype == np.float64
    assert np.isfinite(known.encodings).all()
    # face_recognition's encodings are unit-length-ish vectors of small components
    assert np.all(np.abs(known.encodings) < 1.0)
    assert {name for name, _major, _year in EXPECTED.values()} <= set(known.people)
    # and it survives the npz the stack actually stores
    back = KnownFaces.from_bytes(known.to_bytes())
    np.testing.assert_array_equal(back.encodings, known.encodings)
    assert back.names.tolist() == known.names.tolist()


def test_course_pickle_must_be_the_expected_dict():
    with pytest.raises(ValueError, match="'name' and 'encoding'"):
        from_course_pickle(pickle.dumps({"names": ["a"], "encodings": []}, protocol=4))
    with pytest.raises(ValueError, match="'name' and 'encoding'"):
        from_course_pickle(pickle.dumps(["a", "b"], protocol=4))
    with pytest.raises(ValueError):  # zip(strict=True): one name too many
        from_course_pickle(pickle.dumps({"name": ["a", "b"], "encoding": [np.zeros(128)]}, protocol=4))


@pytest.mark.parametrize("protocol", [3, 4])
def test_a_pickle_of_numpy_arrays_written_today_converts(protocol):
    """Protocols 3 and 4 (4 is Python 3.8 to 3.13's default) name only NumPy's array globals."""
    rng = np.random.default_rng(1)
    encodings = [rng.normal(0, 0.1, ENCODING_SIZE) for _ in range(3)]
    data = pickle.dumps({"name": ["a", "b", "a"], "encoding": encodings}, protocol=protocol)
    known = from_course_pickle(data)
    assert known.names.tolist() == ["a", "b", "a"]
    np.testing.assert_array_equal(known.encodings, np.array(encodings))


@pytest.mark.parametrize("protocol", [2, 5])
def test_pickles_of_numpy_arrays_convert_whatever_the_protocol(protocol):
    data = pickle.dumps({"name": ["a"], "encoding": [np.full(ENCODING_SIZE, 0.25)]}, protocol=protocol)
    assert from_course_pickle(data).encodings[0, 0] == 0.25


# --- the restricted unpickler refuses everything but NumPy's array globals ----------------------


def _global_call(module: str, name: str, argument: str) -> bytes:
    """A protocol-0 pickle that calls ``module.name(argument)`` on load, spelled as an attacker would."""
    return f"c{module}\n{name}\n(V{argument}\ntR.".encode()


def _payloads(marker) -> dict[str, bytes]:
    command = f"touch {marker}"
    python = f"open({str(marker)!r}, 'w').close()"

    class Reduce:
        def __init__(self, function, *args):
            self.function, self.args = function, args

        def __reduce__(self):
            return (self.function, self.args)

    def wrapped(payload) -> bytes:  # hidden inside the dict the converter expects
        return pickle.dumps({"name": ["x"], "encoding": [payload]}, protocol=2)

    return {
        "os.system": _global_call("os", "system", command),
        "posix.system": pickle.dumps(Reduce(os.system, command)),
        "builtins.eval": _global_call("builtins", "eval", python),
        "builtins.exec": pickle.dumps(Reduce(exec, python)),
        "subprocess.check_call": pickle.dumps(Reduce(subprocess.check_call, ["touch", str(marker)])),
        "subprocess.Popen": _global_call("subprocess", "Popen", command),
        "nested-in-course-dict": wrapped(Reduce(os.system, command)),
        "numpy-but-not-an-array-global": _global_call("numpy", "load", str(marker)),
        "numpy-lookalike-module": _global_call("numpy.core.multiarray.os", "system", command),
    }


PAYLOAD_NAMES = list(_payloads("x"))


@pytest.mark.parametrize("payload", PAYLOAD_NAMES)
def test_unpickler_refuses_anything_but_numpy_and_runs_nothing(tmp_path, payload):
    marker = tmp_path / "pwned"
    data = _payloads(marker)[payload]
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        from_course_pickle(data)
    assert not marker.exists()


def test_the_payloads_would_run_under_a_plain_unpickler(tmp_path):
    """Control: the refused pickles are real exploits (pickle.loads runs them), not malformed data."""
    marker = tmp_path / "pwned"
    pickle.loads(_payloads(marker)["builtins.eval"])
    assert marker.exists()
