"""Generated inputs with known contents, shared by the tests and the bench: classroom frames pasted
from real faces with their ground truth (``scenes``) and the videos made from frames (``clips``)."""
