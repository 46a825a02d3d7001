"""The SavedModel the dev stack uploads is a real one with fashion-mnist's serving signature.

TensorFlow is not installed in CI (it is only needed to regenerate the model with scripts/make_model.py),
so the protobuf is read at the wire level: field numbers from tensorflow/core/protobuf/saved_model.proto,
meta_graph.proto and tensor_shape.proto.
"""

from __future__ import annotations

from collections.abc import Iterator

from tests.conftest import ROOT

MODEL = ROOT / "models" / "fashion-mnist" / "1"


def fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) of one protobuf message."""
    i = 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            byte = data[i]
            i += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    while i < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, wire, varint()
        elif wire == 2:
            length = varint()
            yield number, wire, data[i : i + length]
            i += length
        elif wire == 1:
            yield number, wire, data[i : i + 8]
            i += 8
        elif wire == 5:
            yield number, wire, data[i : i + 4]
            i += 4
        else:
            raise ValueError(f"unexpected wire type {wire}")


def sub(message: bytes, number: int) -> list[bytes]:
    return [v for n, w, v in fields(message) if n == number and w == 2 and isinstance(v, bytes)]


def map_entries(message: bytes, number: int) -> dict[str, bytes]:
    return {sub(e, 1)[0].decode(): sub(e, 2)[0] for e in sub(message, number)}


def shape(tensor_info: bytes) -> list[int]:
    dims = sub(sub(tensor_info, 3)[0], 2)  # TensorInfo.tensor_shape -> TensorShapeProto.dim
    sizes = []
    for dim in dims:
        size = [v for n, w, v in fields(dim) if n == 1 and w == 0]
        value = size[0] if size else 0
        assert isinstance(value, int)
        sizes.append(value - (1 << 64) if value >= 1 << 63 else value)
    return sizes


def test_files_of_a_savedmodel_are_present() -> None:
    assert (MODEL / "saved_model.pb").is_file()
    assert (MODEL / "variables" / "variables.index").is_file()
    assert sorted(p.name for p in (MODEL / "variables").iterdir())[0].startswith("variables.data-")


def test_serving_default_signature_takes_28x28_images_and_returns_10_scores() -> None:
    saved_model = (MODEL / "saved_model.pb").read_bytes()
    meta_graph = sub(saved_model, 2)[0]  # SavedModel.meta_graphs
    meta_info = sub(meta_graph, 1)[0]  # MetaGraphDef.meta_info_def
    assert b"serve" in sub(meta_info, 4)  # MetaInfoDef.tags
    signatures = map_entries(meta_graph, 5)  # MetaGraphDef.signature_def
    assert "serving_default" in signatures
    signature = signatures["serving_default"]
    inputs, outputs = map_entries(signature, 1), map_entries(signature, 2)
    assert list(inputs) == ["images"] and list(outputs) == ["scores"]
    assert shape(inputs["images"]) == [-1, 28, 28]
    assert shape(outputs["scores"]) == [-1, 10]
    assert sub(signature, 3)[0] == b"tensorflow/serving/predict"
