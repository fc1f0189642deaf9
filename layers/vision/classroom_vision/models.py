"""Where the model files are: face_recognition_models' data folder, found without importing the package
(its ``__init__`` imports pkg_resources). In the vision layer the folder holds only the files we load."""

import importlib.util
from pathlib import Path


def model_path(name: str) -> Path:
    """The model file ``name`` (e.g. ``shape_predictor_5_face_landmarks.dat``)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed")
    return Path(spec.submodule_search_locations[0]) / "models" / name
