"""Face recognition for the Smart Classroom Lambdas (deployed in the vision layer).

Everything that knows OpenCV's or dlib's types stays in here; what goes in and out is plain:
pictures as RGB numpy arrays, boxes as ``Box`` (ints), encodings as float64 numpy arrays.

- ``images``: JPEG bytes to the RGB array the rest takes
- ``boxes``: ``Box``, a face's place in a picture, and ``largest``
- ``detection``: ``detect``, where the faces of a picture are (YuNet: the detector's runtime)
- ``encoding``: ``encode``, a face's 128-d encoding (the encoder's runtime)
- ``faces``: both at once (``find_faces``) and ``load_models`` for a cold start
- ``models``: where the model files are
- ``known_faces``: the known people's encodings and their file format
- ``matching``: encodings to names, by nearest distance under a threshold
"""
