"""The known-faces set: names with one or more 128-d encodings each.

Stored as a NumPy ``.npz`` (``names``: unicode strings, ``encodings``: float64 N x 128),
read with ``allow_pickle=False``: nothing from a bucket is ever unpickled.
The course's ``encoding`` pickle is converted once, on the operator's machine,
through a restricted unpickler.
"""

import io
import pickle
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

ENCODING_SIZE = 128


@dataclass(frozen=True)
class KnownFaces:
    names: np.ndarray  # (N,) str: the person each row of ``encodings`` belongs to
    encodings: np.ndarray  # (N, 128) float64

    def __post_init__(self) -> None:
        if self.encodings.ndim != 2 or self.encodings.shape[1] != ENCODING_SIZE:
            raise ValueError(f"encodings must be N x {ENCODING_SIZE}, got {self.encodings.shape}")
        if len(self.names) != len(self.encodings):
            raise ValueError(f"{len(self.names)} names for {len(self.encodings)} encodings")
        if not np.isfinite(self.encodings).all():
            raise ValueError("encodings contain NaN or infinity")

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, np.ndarray]]) -> "KnownFaces":
        names = np.array([name for name, _ in pairs], dtype=str)
        encodings = np.array([enc for _, enc in pairs], dtype=np.float64).reshape(-1, ENCODING_SIZE)
        return cls(names, encodings)

    @property
    def people(self) -> list[str]:
        return sorted(set(self.names.tolist()))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, names=self.names, encodings=self.encodings)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "KnownFaces":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                return cls(npz["names"].astype(str), npz["encodings"].astype(np.float64))
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise ValueError(f"not a known-faces file: {error}") from error


# What pickles of NumPy arrays name, by protocol: 3 and 4 the first four; 5 rebuilds arrays with
# _frombuffer; 2 (from Python 3) spells bytes as _codecs.encode(str, "latin1"). None of them runs code.
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits the globals an array pickle names, and nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _NUMPY_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module.replace("numpy.core.", "numpy._core."), name)


def from_course_pickle(data: bytes) -> KnownFaces:
    """Convert the course's ``{'name': [...], 'encoding': [...]}`` pickle."""
    obj = _NumpyOnlyUnpickler(io.BytesIO(data)).load()
    if not isinstance(obj, dict) or not {"name", "encoding"} <= obj.keys():
        raise ValueError("expected a dict with 'name' and 'encoding' lists")
    return KnownFaces.from_pairs(list(zip(obj["name"], obj["encoding"], strict=True)))
