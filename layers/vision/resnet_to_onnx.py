"""Convert dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) to ONNX.

Usage: ``python resnet_to_onnx.py MODEL.dat OUT.onnx [--sha256 models.sha256]``

Why: dlib's wheel has no BLAS, so its network takes ~0.1 s a face; the same weights in an ONNX graph
run several times faster on OpenCV's cv2.dnn (already in the layer) or onnxruntime. dlib stays for
the 5-point landmarks and the 150x150 chip (``dlib.get_face_chip(rgb, shape, size=150, padding=0.25)``),
only the network moves.

The graph reproduces ``face_recognition_model_v1.compute_face_descriptor`` on that chip:
input ``chip`` is float32 [N, 3, 150, 150], RGB in the 0-255 range (the chip as NCHW, nothing else
done to it); output ``descriptor`` is float32 [N, 128] (not L2-normalised, like dlib's).

Build time needs only numpy and onnx; the output is byte-for-byte deterministic. ``models.sha256``
beside this file records the source's and the output's sha256: the vision layer's build and
``make install`` pass it with ``--sha256``, so any other result fails the build.

The network is the one of dlib's examples/dnn_face_recognition_ex.cpp (``anet_type``). A dlib file
holds the weights and each layer's settings, but not how tag/skip layers wire the residual blocks, so
that wiring comes from ``ARCHITECTURE`` below and is checked against the sequence of layers in the file.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # the lowest IR that carries opset 17: fixed, so the bytes do not depend on onnx's version
PRODUCER = ("smart-classroom resnet_to_onnx", "1")

# --------------------------------------------------------------------------------------------------
# Reading dlib's serialization (dlib/serialize.h, dlib/cuda/tensor.h, dlib/dnn/core.h, layers.h).


@dataclass
class Stream:
    """The bytes of a dlib file and the read position in them."""

    data: bytes
    pos: int = 0


def read_int(s: Stream) -> int:
    """An integer: a control byte (low nibble = byte count, 0x80 = negative), then that many bytes LE."""
    control = s.data[s.pos]
    size = control & 0x0F
    if control & 0x70 or size > 8:
        raise ValueError(f"bad integer control byte {control:#x} at offset {s.pos}")
    value = int.from_bytes(s.data[s.pos + 1 : s.pos + 1 + size], "little")
    s.pos += 1 + size
    return -value if control & 0x80 else value


def read_float(s: Stream) -> float:
    """A float or double: mantissa and exponent integers (dlib's float_details), value = m * 2**e."""
    mantissa, exponent = read_int(s), read_int(s)
    special = {32000: math.inf, 32001: -math.inf, 32002: math.nan}  # float_details::is_inf etc.
    return special[exponent] if exponent in special else math.ldexp(mantissa, exponent)


def read_bool(s: Stream) -> bool:
    """A bool: the character '1' or '0'."""
    char = s.data[s.pos : s.pos + 1]
    if char not in (b"0", b"1"):
        raise ValueError(f"bad bool {char!r} at offset {s.pos}")
    s.pos += 1
    return char == b"1"


def read_str(s: Stream) -> str:
    """A string: its length as an integer, then the bytes."""
    size = read_int(s)
    text = s.data[s.pos : s.pos + size].decode("ascii")
    s.pos += size
    return text


def read_tensor(s: Stream) -> np.ndarray:
    """A resizable_tensor: version 2, dims (num_samples, k, nr, nc), then float32 little endian."""
    if (version := read_int(s)) != 2:
        raise ValueError(f"tensor version {version} at offset {s.pos}, expected 2")
    shape = tuple(read_int(s) for _ in range(4))
    count = math.prod(shape)
    values = np.frombuffer(s.data, dtype="<f4", count=count, offset=s.pos).astype(np.float32)
    s.pos += 4 * count
    return values.reshape(shape)


def read_alias(s: Stream) -> tuple[int, int, int, int]:
    """An alias_tensor (a view into a layer's params): version 1 and its four dims."""
    if (version := read_int(s)) != 1:
        raise ValueError(f"alias_tensor version {version} at offset {s.pos}, expected 1")
    return (read_int(s), read_int(s), read_int(s), read_int(s))


@dataclass
class Layer:
    """One computational layer's details, in forward order: its kind (the version string less any
    digits) and its settings and weights."""

    kind: str
    attrs: dict = field(default_factory=dict)


def read_details(s: Stream) -> Layer:
    """The details of one layer (the ``serialize`` friend of its class in layers.h or input.h)."""
    version = read_str(s)
    kind = version.rstrip("0123456789")
    a: dict = {}
    if version == "input_rgb_image_sized":
        a["mean"] = [read_float(s) for _ in range(3)]  # avg_red, avg_green, avg_blue
        a["size"] = (read_int(s), read_int(s))
    elif version in ("con_4", "con_5"):
        params = read_tensor(s).ravel()
        a["filters_n"] = read_int(s)
        nr, nc, a["stride"] = read_int(s), read_int(s), (read_int(s), read_int(s))
        a["padding"] = (read_int(s), read_int(s))
        filters, biases = read_alias(s), read_alias(s)
        for _ in range(4):  # learning rate and weight decay multipliers
            read_float(s)
        use_bias = read_bool(s) if version == "con_5" else True
        size = math.prod(filters)
        if filters[0] != a["filters_n"] or filters[2:] != (nr, nc):
            raise ValueError(f"con filters {filters} do not match {a['filters_n']}x{nr}x{nc}")
        a["weight"] = params[:size].reshape(filters)
        a["bias"] = params[size : size + filters[0]] if use_bias else np.zeros(filters[0], np.float32)
        if use_bias and biases[0] * biases[1] != filters[0]:
            raise ValueError(f"con biases {biases} for {filters[0]} filters")
    elif version == "affine_":
        params = read_tensor(s).ravel()
        gamma, beta = read_alias(s), read_alias(s)
        a["mode"] = read_int(s)  # CONV_MODE = 0 (per channel) or FC_MODE = 1 (per element)
        n = math.prod(gamma)
        if math.prod(beta) != n or params.size != 2 * n:
            raise ValueError(f"affine params {params.size} for gamma {gamma}, beta {beta}")
        a["gamma"], a["beta"] = params[:n], params[n:]
    elif version in ("relu_", "add_prev_"):
        pass
    elif version in ("max_pool_2", "avg_pool_2"):
        a["window"] = (read_int(s), read_int(s))  # (0, 0) means the whole map
        a["stride"] = (read_int(s), read_int(s))
        a["padding"] = (read_int(s), read_int(s))
    elif version == "fc_2":
        a["outputs"], a["inputs"] = read_int(s), read_int(s)
        params = read_tensor(s).ravel()
        weights, biases = read_alias(s), read_alias(s)
        a["has_bias"] = read_int(s) == 0  # enum fc_bias_mode: FC_HAS_BIAS = 0, FC_NO_BIAS = 1
        for _ in range(4):
            read_float(s)
        size = math.prod(weights)
        if weights[:2] != (a["inputs"], a["outputs"]) or params.size != size + a["has_bias"] * a["outputs"]:
            raise ValueError(f"fc params {params.size}, weights {weights}, biases {biases}")
        a["weight"] = params[:size].reshape(a["inputs"], a["outputs"])  # output = input @ weight
        a["bias"] = params[size:] if a["has_bias"] else None
    else:
        raise ValueError(f"unsupported layer '{version}' at offset {s.pos}")
    return Layer(kind, a)


def skip_layer_state(s: Stream, version: int, on_input: bool) -> None:
    """What add_layer writes after its details: training state (flags, cached tensors), not needed."""
    for _ in range(3):  # this_layer_setup_called, gradient_input_is_stale, get_output..._disabled
        read_bool(s)
    for _ in range(3):  # x_grad, cached_output, and params_grad (or grad_final on the input layer)
        read_tensor(s)
    if on_input and version >= 3:
        read_int(s)  # _sample_expansion_factor


def read_network(data: bytes) -> tuple[list[Layer | None], dict]:
    """All layers of a loss_metric network, in forward order: a Layer per computational layer, None
    where a tag or skip layer sits. Also returns the loss layer's settings.

    The file nests each layer around the one below it: a version integer per layer from the output
    inwards (2 for add_layer, 1 for add_tag_layer/add_skip_layer, 2-3 for the add_layer holding the
    input layer), then the input layer, then each add_layer's details and state from the input
    outwards. Tag and skip layers write nothing after the layer below them.
    """
    s = Stream(data)
    if (version := read_int(s)) != 1:
        raise ValueError(f"add_loss_layer version {version}, expected 1")
    loss_version = read_str(s)
    if loss_version != "loss_metric_2":
        raise ValueError(f"loss layer '{loss_version}', expected loss_metric_2")
    loss = {"margin": read_float(s), "distance_threshold": read_float(s)}
    nesting: list[int] = []
    name = b"input_rgb_image_sized"
    marker = bytes([1, len(name)]) + name  # that string as dlib writes it (a 1-byte length integer)
    while True:
        if s.pos >= len(data) or len(nesting) > 10_000:
            raise ValueError("no input_rgb_image_sized layer found")
        nesting.append(read_int(s))
        if data[s.pos : s.pos + len(marker)] == marker:
            break
    input_version = nesting.pop()
    if input_version not in (2, 3):
        raise ValueError(f"add_layer (input) version {input_version}, expected 2 or 3")
    layers: list[Layer | None] = [read_details(s), read_details(s)]
    skip_layer_state(s, input_version, on_input=True)
    for version in reversed(nesting):
        if version == 1:
            layers.append(None)
        elif version == 2:
            layers.append(read_details(s))
            skip_layer_state(s, version, on_input=False)
        else:
            raise ValueError(f"layer version {version}, expected 1 (tag/skip) or 2 (add_layer)")
    if s.pos != len(data):
        raise ValueError(f"{len(data) - s.pos} bytes left after the network")
    return layers, loss


# --------------------------------------------------------------------------------------------------
# The network of dnn_face_recognition_ex.cpp, from the input up. Steps are layer kinds (matched to
# the file's layers in order) or tag/skip wiring: "tag1" remembers the current output, "skip1" goes
# back to it, "add_prev1" adds it to the current output (zero-padding the smaller one).


def _block() -> list[str]:
    """block<N,affine,stride>: con 3x3 (stride 1, or 2 in ares_down), affine, relu, con 3x3, affine."""
    return ["con_", "affine_", "relu_", "con_", "affine_"]


def _ares(count: int) -> list[str]:
    """``count`` ares: relu(add_prev1(block(tag1(x))))."""
    return ["tag1", *_block(), "add_prev_1", "relu_"] * count


def _ares_down() -> list[str]:
    """ares_down: relu(add_prev2(avg_pool 2x2/2(skip1(tag2(block stride 2(tag1(x))))))."""
    return ["tag1", *_block(), "tag2", "skip1", "avg_pool_", "add_prev_2", "relu_"]


ARCHITECTURE: list[str] = [
    "input_rgb_image_sized",
    *["con_", "affine_", "relu_", "max_pool_"],
    *_ares(3),  # alevel4: 32 filters
    *_ares_down(),
    *_ares(3),  # alevel3: 64
    *_ares_down(),
    *_ares(2),  # alevel2: 128
    *_ares_down(),
    *_ares(2),  # alevel1: 256
    *_ares_down(),  # alevel0: 256
    *["avg_pool_", "fc_"],  # avg_pool_everything, fc_no_bias<128>
]


# --------------------------------------------------------------------------------------------------
# Building the ONNX graph.


@dataclass
class Graph:
    """The nodes and weights being built, and the static (C, H, W) of each value."""

    nodes: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    shapes: dict = field(default_factory=dict)

    def weight(self, name: str, array: np.ndarray) -> str:
        """Add a constant (an initializer) and return its name."""
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], shape: tuple[int, ...], **attrs: object) -> str:
        """Add a node with one output, named after its position, and return the output's name."""
        out = f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.shapes[out] = shape
        return out


def _pool_out(size: int, window: int, stride: int, padding: int) -> int:
    """Output length of a dlib conv or pooling (floor, as ONNX's default)."""
    return 1 + (size + 2 * padding - window) // stride


def _conv(g: Graph, x: str, con: Layer, affine: Layer) -> str:
    """con followed by affine, as one Conv: the per-channel scale and shift are folded into the weights."""
    if affine.attrs["mode"] != 0 or affine.attrs["gamma"].size != con.attrs["filters_n"]:
        raise ValueError("affine after con must be per channel (CONV_MODE)")
    gamma = affine.attrs["gamma"].astype(np.float64)
    weight = con.attrs["weight"].astype(np.float64) * gamma[:, None, None, None]
    bias = con.attrs["bias"].astype(np.float64) * gamma + affine.attrs["beta"]
    w_name = g.weight(f"conv{len(g.nodes)}_w", weight.astype(np.float32))
    b_name = g.weight(f"conv{len(g.nodes)}_b", bias.astype(np.float32))
    (sy, sx), (py, px) = con.attrs["stride"], con.attrs["padding"]
    _, h, w = g.shapes[x]
    kh, kw = weight.shape[2:]
    shape = (weight.shape[0], _pool_out(h, kh, sy, py), _pool_out(w, kw, sx, px))
    if weight.shape[1] != g.shapes[x][0]:
        raise ValueError(f"con with {weight.shape[1]} input channels on {g.shapes[x]}")
    return g.node(
        "Conv",
        [x, w_name, b_name],
        shape,
        kernel_shape=[kh, kw],
        strides=[sy, sx],
        pads=[py, px, py, px],
    )


def _pool(g: Graph, x: str, layer: Layer) -> str:
    """max_pool or avg_pool; a (0, 0) window (avg_pool_everything) is a global average."""
    c, h, w = g.shapes[x]
    (wy, wx), (sy, sx), (py, px) = layer.attrs["window"], layer.attrs["stride"], layer.attrs["padding"]
    if (wy, wx) == (0, 0):
        return g.node("GlobalAveragePool", [x], (c, 1, 1))
    if layer.kind == "avg_pool_" and (py, px) != (0, 0):
        raise ValueError("padded avg_pool is not supported")  # not in this network
    op = "MaxPool" if layer.kind == "max_pool_" else "AveragePool"
    shape = (c, _pool_out(h, wy, sy, py), _pool_out(w, wx, sx, px))
    return g.node(op, [x], shape, kernel_shape=[wy, wx], strides=[sy, sx], pads=[py, px, py, px])


def _pad_to(g: Graph, x: str, shape: tuple[int, int, int]) -> str:
    """Zero-pad x at the end of channels, rows and columns, like dlib's add_prev (tt::add keeps each
    tensor at index 0, so the smaller one sits in the top-left corner of the first channels)."""
    c, h, w = g.shapes[x]
    if (c, h, w) == shape:
        return x
    pads = np.array([0, 0, 0, 0, 0, shape[0] - c, shape[1] - h, shape[2] - w], dtype=np.int64)
    return g.node("Pad", [x, g.weight(f"pad{len(g.nodes)}", pads)], shape, mode="constant")


def build_model(layers: list[Layer | None], source_sha256: str = "") -> onnx.ModelProto:
    """The ONNX model for the network read by ``read_network``, wired as ``ARCHITECTURE`` says;
    ``source_sha256`` (of the .dat) is recorded in the model's metadata."""
    steps = [step for step in ARCHITECTURE if not step.startswith(("tag", "skip"))]
    kinds = [layer.kind for layer in layers if layer is not None]
    expected = [step.rstrip("12") for step in steps]
    if kinds != expected or [layer is None for layer in layers] != [
        step.startswith(("tag", "skip")) for step in ARCHITECTURE
    ]:
        raise ValueError("the file's layers are not dnn_face_recognition_ex.cpp's network")

    g = Graph()
    source = layers[0]
    if source is None:
        raise ValueError("no input layer")
    nr, nc = source.attrs["size"]
    g.shapes["chip"] = (3, nr, nc)
    # input_rgb_image_sized: (pixel - mean) / 256 per channel, computed in float32 like dlib's.
    mean = np.array(source.attrs["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
    x = g.node("Sub", ["chip", g.weight("mean_rgb", mean)], (3, nr, nc))
    x = g.node("Mul", [x, g.weight("inv_256", np.array(1 / 256, dtype=np.float32))], (3, nr, nc))

    tags: dict[str, str] = {}
    i = 1
    while i < len(layers):
        step, layer = ARCHITECTURE[i], layers[i]
        if step.startswith("tag"):
            tags[step[3:]] = x
        elif step.startswith("skip"):
            x = tags[step[4:]]
        elif layer is None:
            raise ValueError(f"missing layer for {step}")
        elif layer.kind == "con_":
            nxt = layers[i + 1]
            if nxt is None or nxt.kind != "affine_":
                raise ValueError("con without affine after it")
            x = _conv(g, x, layer, nxt)
            i += 1
        elif layer.kind == "relu_":
            x = g.node("Relu", [x], g.shapes[x])
        elif layer.kind in ("max_pool_", "avg_pool_"):
            x = _pool(g, x, layer)
        elif layer.kind == "add_prev_":
            prev = tags[step[-1]]
            shape = tuple(max(a, b) for a, b in zip(g.shapes[x], g.shapes[prev], strict=True))
            x = g.node("Add", [_pad_to(g, x, shape), _pad_to(g, prev, shape)], shape)
        elif layer.kind == "fc_":
            if layer.attrs["inputs"] != math.prod(g.shapes[x]):
                raise ValueError(f"fc of {layer.attrs['inputs']} inputs on {g.shapes[x]}")
            x = g.node("Flatten", [x], (layer.attrs["inputs"],), axis=1)
            outputs = layer.attrs["outputs"]
            x = g.node("MatMul", [x, g.weight("fc_w", layer.attrs["weight"])], (outputs,))
            if layer.attrs["bias"] is not None:
                x = g.node("Add", [x, g.weight("fc_b", layer.attrs["bias"])], (outputs,))
        else:
            raise ValueError(f"unexpected layer {layer.kind}")
        i += 1

    g.nodes[-1].output[0] = "descriptor"  # the last node's output (used by no other node) is the graph's
    graph = helper.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, ["N", 3, nr, nc])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", g.shapes[x][0]])],
        initializer=g.weights,
        doc_string="dlib's face descriptor of a 150x150 RGB face chip (values 0-255, NCHW float32).",
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER[0],
        producer_version=PRODUCER[1],
    )
    model.ir_version = IR_VERSION
    if source_sha256:
        helper.set_model_props(model, {"source_sha256": source_sha256})
    onnx.checker.check_model(model, full_check=True)
    return model


def convert(dat_path: Path, onnx_path: Path) -> str:
    """Convert ``dat_path`` to ``onnx_path``; returns the output's sha256."""
    source = dat_path.read_bytes()
    layers, _ = read_network(source)
    data = build_model(layers, hashlib.sha256(source).hexdigest()).SerializeToString()
    onnx_path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_digests(path: Path) -> dict[str, str]:
    """A checksum file in ``sha256sum``'s format (``<hex>  <file name>`` a line): file name -> digest."""
    digests = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            digests[name.lstrip("*")] = digest.lower()
    return digests


def checked_convert(dat_path: Path, onnx_path: Path, digests: dict[str, str]) -> str:
    """``convert``, with the source's and the output's sha256 checked against ``digests`` (by file name).
    The output is written under another name and renamed only once it matches: a build never keeps a
    model other than the recorded one. Raises ValueError on a mismatch."""
    for name in (dat_path.name, onnx_path.name):
        if name not in digests:
            raise ValueError(f"no sha256 recorded for {name}")
    source = hashlib.sha256(dat_path.read_bytes()).hexdigest()
    if source != digests[dat_path.name]:
        raise ValueError(
            f"{dat_path} has sha256 {source}, expected {digests[dat_path.name]}: not the model "
            "this converter was checked against"
        )
    partial = onnx_path.with_name(onnx_path.name + ".partial")
    try:
        digest = convert(dat_path, partial)
        if digest != digests[onnx_path.name]:
            raise ValueError(
                f"{onnx_path.name} came out with sha256 {digest}, expected {digests[onnx_path.name]}: "
                "the conversion is not the recorded one (a changed converter records its new output)"
            )
        partial.replace(onnx_path)
    finally:
        partial.unlink(missing_ok=True)
    return digest


def main(argv: list[str]) -> int:
    """Command line: MODEL.dat OUT.onnx [--sha256 FILE]."""
    parser = argparse.ArgumentParser(prog="resnet_to_onnx.py", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, metavar="MODEL.dat")
    parser.add_argument("out", type=Path, metavar="OUT.onnx")
    parser.add_argument(
        "--sha256",
        type=Path,
        metavar="FILE",
        help="check the source and the output against FILE (sha256sum format); a mismatch fails",
    )
    args = parser.parse_args(argv)
    try:
        if args.sha256:
            digest = checked_convert(args.model, args.out, read_digests(args.sha256))
        else:
            digest = convert(args.model, args.out)
    except (OSError, ValueError) as error:
        print(f"resnet_to_onnx.py: {error}", file=sys.stderr)
        return 1
    checked = f" (as {args.sha256})" if args.sha256 else ""
    print(f"{args.out}: {args.out.stat().st_size} bytes, sha256 {digest}{checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
