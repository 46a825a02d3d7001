"""Whether a directory holds a SavedModel that TF Serving 2.3.0 can load, read at the protobuf wire level.

TensorFlow is not a dependency, so ``saved_model.pb`` is walked field by field (field numbers from TensorFlow's
``tensorflow/core/protobuf/saved_model.proto``, ``meta_graph.proto``, ``tensorflow/core/framework/graph.proto`` and
``node_def.proto``). What TF Serving needs, from TensorFlow's loader, which TF Serving 2.3.0 builds against:

- ``tensorflow/cc/saved_model/reader.cc`` ``ReadSavedModel``: ``saved_model.pb`` (or ``saved_model.pbtxt``) parsed as a
  ``SavedModel``, and ``FindMetaGraphDef``: one of its meta graphs carries the tags asked for; TF Serving asks for
  ``{serve}`` (``tensorflow_serving/model_servers/server.cc``, ``--saved_model_tags`` default ``serve``).
- ``tensorflow/cc/saved_model/loader.cc`` ``RunRestore``: when ``variables/variables.index`` does not exist it logs
  "The specified SavedModel has no variables; no checkpoints were restored" and loads anyway, so a graph that holds
  variables then fails at its first request. A graph with variable ops therefore needs ``variables/variables.index``
  and its data shards here.

(These lines were read in TensorFlow's sources and logs of 2.x releases; the exact v2.3.0 line numbers are not
verified here.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SERVE_TAG = b"serve"
VARIABLE_OPS = frozenset({b"VarHandleOp", b"VariableV2", b"Variable", b"AutoReloadVariable"})
"""Ops that hold a variable whose value comes from the checkpoint under ``variables/``."""
MAX_PB_BYTES = 2**31 - 1
"""Protobuf's 2 GiB message limit: TensorFlow cannot parse a larger ``saved_model.pb``."""


class WireError(ValueError):
    """Bytes that are not a protobuf message."""


def fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """``(field number, wire type, value)`` of one protobuf message; :class:`WireError` when it is not one."""
    i = 0
    end = len(data)

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            if i >= end or shift > 63:
                raise WireError("truncated or overlong varint")
            byte = data[i]
            i += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    while i < end:
        key = varint()
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 0:
            yield number, wire, varint()
        elif wire == 2:
            length = varint()
            if i + length > end:
                raise WireError("a length past the end of the message")
            yield number, wire, data[i : i + length]
            i += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if i + size > end:
                raise WireError("a fixed-size value past the end of the message")
            yield number, wire, data[i : i + size]
            i += size
        else:
            raise WireError(f"wire type {wire}")


def _sub(message: bytes, number: int) -> list[bytes]:
    return [v for n, w, v in fields(message) if n == number and w == 2 and isinstance(v, bytes)]


def _pb_problem(data: bytes, variables: Path) -> str | None:
    meta_graphs = _sub(data, 2)  # SavedModel.meta_graphs
    if not meta_graphs:
        return "saved_model.pb holds no meta graph"
    serving = [
        graph for graph in meta_graphs if any(SERVE_TAG in _sub(info, 4) for info in _sub(graph, 1))
    ]  # MetaGraphDef.meta_info_def -> MetaInfoDef.tags
    if not serving:
        return "saved_model.pb has no meta graph tagged 'serve', the tag TF Serving loads"
    ops = {op for graph in serving for graph_def in _sub(graph, 2) for node in _sub(graph_def, 1) for op in _sub(node, 2)}
    if ops & VARIABLE_OPS and not _has_checkpoint(variables):
        return "its graph has variables but variables/variables.index and variables/variables.data-* are missing"
    return None


def _has_checkpoint(variables: Path) -> bool:
    return (variables / "variables.index").is_file() and any(variables.glob("variables.data-*"))


def problem(directory: Path) -> str | None:
    """Why ``directory`` is not a SavedModel TF Serving can load, or ``None``."""
    pb, pbtxt, variables = directory / "saved_model.pb", directory / "saved_model.pbtxt", directory / "variables"
    try:
        if pb.is_file():
            size = pb.stat().st_size
            if size == 0:
                return "saved_model.pb is empty"
            if size > MAX_PB_BYTES:
                return "saved_model.pb is larger than protobuf's 2 GiB limit"
            return _pb_problem(pb.read_bytes(), variables)
        if pbtxt.is_file():
            text = pbtxt.read_text(encoding="utf-8")
            if "meta_graphs" not in text:
                return "saved_model.pbtxt holds no meta graph"
            if any(f'op: "{op.decode()}"' in text for op in VARIABLE_OPS) and not _has_checkpoint(variables):
                return "its graph has variables but variables/variables.index and variables/variables.data-* are missing"
            return None
    except WireError as error:
        return f"saved_model.pb is not a SavedModel protobuf ({error})"
    except (OSError, UnicodeDecodeError) as error:
        return f"it cannot be read ({error})"
    return "no saved_model.pb or saved_model.pbtxt there"
