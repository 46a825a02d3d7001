"""Request bodies in each serving protocol, the check of each answer, and which model version answered.

Protocols (``--protocol``):

- ``seldon``: Seldon Core v1 (the operator this stack installs) serves ``POST /api/v1.0/predictions`` with a
  ``SeldonMessage``: ``{"data": {"names": [...], "ndarray": [...]}}`` in, the same message type out; an answer to an
  ``ndarray`` request carries ``data.ndarray`` with one row per instance (the Python wrapper returns the type it was
  given, and names the columns ``t:0`` ... ``t:N-1`` when the model has no class names). Sources: Seldon Core 1 docs,
  "External API" and "Prediction Open API Spec" (docs.seldon.ai/seldon-core-1/reference/prediction-apis);
  SeldonIO/seldon-core ``servers/tfserving_proxy/TfServingProxy.py`` (the recipe's ``tfserving-proxy``: a REST
  ``ndarray`` becomes TF Serving's ``{"instances": ...}`` and ``predictions`` come back as the array) and
  ``python/seldon_core/utils.py`` (``client_class_names``: ``t:{i}``). A ``tensor`` answer
  (``{"shape": [...], "values": [...]}``) is accepted too.
- ``kserve-v1``: TF Serving's own REST API, which is KServe's v1 protocol: ``POST /v1/models/<m>:predict`` with
  ``{"instances": [...]}`` (row format, one entry per instance), answered ``{"predictions": [...]}`` with one row per
  instance; a columnar ``{"inputs": ...}`` request (``--payload``) is answered ``{"outputs": ...}`` (tensorflow/serving
  2.3.0 ``tensorflow_serving/g3doc/api_rest.md``, "Predict API", "Response format", lines 278-300; kserve v0.15.2
  ``python/kserve/kserve/protocol/rest/v1_endpoints.py`` line 163 routes ``/v1/models/{model_name}:predict``).
- ``v2``: the Open Inference Protocol, ``POST /v2/models/<m>/infer`` with ``{"inputs": [{"name", "shape",
  "datatype", "data"}]}``, answered ``{"model_name", "model_version" (optional), "id", "outputs": [{"name",
  "shape", "datatype", "data"}]}``; ``data`` is row-major, nested or flattened (kserve v0.15.2
  ``docs/predict-api/v2/required_api.md``: "Inference Request JSON Object", "Inference Response JSON Object",
  "Tensor Data").

Which version answered (``by_version`` in ``summary.json``), read from each valid answer:

- ``seldon``: ``meta.requestPath``, the map of graph node to container image that the Python wrapper adds to every
  answer (seldon-core v1.17.1 ``python/seldon_core/utils.py`` ``get_request_path`` and ``construct_response_json``,
  from the ``PREDICTIVE_UNIT_ID`` / ``PREDICTIVE_UNIT_IMAGE`` environment the operator sets to the container's name
  and image, ``operator/controllers/seldondeployment_controller.go`` lines 863-866). Counted as
  ``node=image[,node=image...]``. It names the proxy's node and image, not the TF Serving model version: the
  tfserving-proxy (``servers/tfserving_proxy/TfServingProxy.py`` ``predict``) keeps only ``predictions`` from TF
  Serving's answer, so two servers that differ only in the model version give the same key.
- ``kserve-v1``: TF Serving 2.3.0's REST ``:predict`` answer holds only the outputs, no model version
  (tensorflow/serving 2.3.0 ``tensorflow_serving/model_servers/http_rest_api_handler.cc``,
  ``ProcessPredictRequest``, lines 208-234: ``MakeJsonFromTensors(response->outputs(), ...)``; the ``model_spec``
  it carries in gRPC is not written). A top-level ``model_version`` is counted if a server adds one; else
  ``unknown``.
- ``v2``: ``model_version`` of the answer (optional in the protocol: "Inference servers that do not implement
  versioning should not provide this field"), else ``unknown``.

The model this stack serves (``models/fashion-mnist/1``, ``scripts/make_model.py``) has the signature
``images: float32[batch, 28, 28] -> scores: float32[batch, 10]``, so the default body is a batch of seeded random
28x28 images and every answer must hold ``batch`` rows of 10 scores. ``--payload FILE`` sends a JSON file as it is
(for other models); then only the message's shape and the row count (when the file gives it) are checked, plus
``--expect-outputs`` when given.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SELDON = "seldon"
KSERVE_V1 = "kserve-v1"
V2 = "v2"
PROTOCOLS = (SELDON, KSERVE_V1, V2)
"""``--protocol`` values, and the values a stack's ``protocol`` output may take."""

IMAGE_SIDE = 28
"""fashion-mnist images are 28x28 (``scripts/make_model.py``)."""
SCORES = 10
"""fashion-mnist has 10 classes: the model answers 10 scores per image."""
INPUT_NAME = "images"
"""The model's input tensor (``scripts/make_model.py``), named in v2 requests."""
POOL = 8
"""Distinct generated bodies, sent in turn (different images without generating one per request)."""
MAX_BATCH = 256
"""Largest ``--batch``: a body of 256 images is about 1.6 MB, the pool of bodies about 13 MB in memory."""
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
"""Largest ``--payload`` file: it is held in memory and sent as it is."""

INVALID_RESPONSE = "InvalidResponse"
"""Outcome of a 200 answer whose body is not the message the request calls for."""
UNKNOWN_VERSION = "unknown"
"""``by_version`` key of valid answers that do not say which version answered."""


class PayloadError(ValueError):
    """A ``--payload`` file or ``--batch`` that cannot be sent."""


@dataclass(frozen=True)
class Payload:
    """The bodies to send in turn, and what each answer must hold."""

    bodies: tuple[bytes, ...]
    instances: int | None
    """Rows each answer must have (``None``: not checked)."""
    outputs: int | None
    """Values per row each answer must have (``None``: not checked)."""
    description: str
    protocol: str = SELDON

    def body(self, index: int) -> bytes:
        """The body of the ``index``-th request."""
        return self.bodies[index % len(self.bodies)]


@dataclass(frozen=True)
class Answer:
    """The check of one 200 answer."""

    problem: str | None
    """``None`` when the answer is the message the request calls for, else why not (one short sentence)."""
    version: str = UNKNOWN_VERSION
    """Which version answered, as the answer tells (see the module docstring)."""


def image_json(rng: random.Random) -> str:
    """One 28x28 image of floats in [0, 1), 4 decimals (like a normalized fashion-mnist image), as JSON text."""
    return json.dumps([[round(rng.random(), 4) for _ in range(IMAGE_SIDE)] for _ in range(IMAGE_SIDE)])


def _envelope(protocol: str, batch: int, images: str) -> str:
    if protocol == SELDON:
        return f'{{"data": {{"ndarray": [{images}]}}}}'
    if protocol == KSERVE_V1:
        return f'{{"instances": [{images}]}}'
    shape = json.dumps([batch, IMAGE_SIDE, IMAGE_SIDE])
    return f'{{"inputs": [{{"name": "{INPUT_NAME}", "shape": {shape}, "datatype": "FP32", "data": [{images}]}}]}}'


def generated_payload(batch: int = 1, seed: int = 0, protocol: str = SELDON) -> Payload:
    """Seeded random images shaped like the model's signature; answers must hold ``batch`` rows of 10 scores.

    ``batch + POOL - 1`` distinct images are drawn; body ``k`` holds images ``k .. k + batch - 1``, so the bodies
    differ while the work stays proportional to the batch, not to ``batch x POOL``.
    """
    if not 1 <= batch <= MAX_BATCH:
        raise PayloadError(f"--batch {batch}: must be from 1 to {MAX_BATCH}")
    if protocol not in PROTOCOLS:
        raise PayloadError(f"--protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")
    rng = random.Random(seed)
    images = [image_json(rng) for _ in range(batch + POOL - 1)]
    bodies = tuple(_envelope(protocol, batch, ", ".join(images[k : k + batch])).encode() for k in range(POOL))
    return Payload(bodies, batch, SCORES, f"{batch} generated 28x28 image(s) per request (seed {seed})", protocol)


def _file_shape_problem(body: Any, protocol: str) -> str | None:
    message = body if isinstance(body, dict) else {}
    if protocol == SELDON and not isinstance(message.get("data"), dict):
        return 'expected a Seldon message {"data": {"ndarray": [...]}}'
    if protocol == KSERVE_V1 and not isinstance(message.get("instances"), list) and "inputs" not in message:
        return 'expected a v1 predict request {"instances": [...]} (or {"inputs": ...})'
    if protocol == V2:
        inputs = message.get("inputs")
        if not (isinstance(inputs, list) and inputs and all(isinstance(i, dict) for i in inputs)):
            return 'expected a v2 inference request {"inputs": [{"name", "shape", "datatype", "data"}, ...]}'
    return None


def file_payload(path: Path, expect_outputs: int | None = None, protocol: str = SELDON) -> Payload:
    """A JSON request body from a file, sent as it is."""
    try:
        size = path.stat().st_size
        if size > MAX_PAYLOAD_BYTES:
            raise PayloadError(f"--payload {path}: {size} bytes; at most {MAX_PAYLOAD_BYTES} (16 MiB)")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PayloadError(f"--payload {path}: cannot read it: {err}") from None
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise PayloadError(f"--payload {path}: not JSON: {err}") from None
    problem = _file_shape_problem(message, protocol)
    if problem is not None:
        raise PayloadError(f"--payload {path}: {problem} for --protocol {protocol}")
    rows: Any = None
    if protocol == SELDON:
        rows = message["data"].get("ndarray")
    elif protocol == KSERVE_V1:
        rows = message.get("instances")
    instances = len(rows) if isinstance(rows, list) else None
    body = json.dumps(message).encode()
    return Payload((body,), instances, expect_outputs, f"{path.name} ({len(body)} bytes)", protocol)


def _row_lengths(rows: Any) -> list[int] | None:
    if not isinstance(rows, list):
        return None
    return [len(row) if isinstance(row, list) else -1 for row in rows]


def _seldon_rows(message: Mapping[str, Any]) -> list[int] | str:
    data = message.get("data")
    if not isinstance(data, dict):
        return "no 'data' object in the answer"
    rows = _row_lengths(data.get("ndarray"))
    if rows is not None:
        return rows
    tensor = data.get("tensor")
    if isinstance(tensor, dict):
        shape, values = tensor.get("shape"), tensor.get("values")
        if isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) for n in shape):
            rows, columns = shape
            if isinstance(values, list) and len(values) == rows * columns:
                return [columns] * rows
    return "'data' holds neither an 'ndarray' nor a well-formed 'tensor'"


def _flat_count(data: Any) -> int | None:
    """Number of scalars in a nested list; ``None`` when it is not one."""
    if not isinstance(data, list):
        return None
    total = 0
    for item in data:
        if isinstance(item, list):
            inner = _flat_count(item)
            if inner is None:
                return None
            total += inner
        else:
            total += 1
    return total


def _v2_rows(message: Mapping[str, Any]) -> list[int] | str:
    outputs = message.get("outputs")
    if not (isinstance(outputs, list) and outputs and isinstance(outputs[0], dict)):
        return "no 'outputs' list in the answer"
    shape, data = outputs[0].get("shape"), outputs[0].get("data")
    if not (isinstance(shape, list) and shape and all(isinstance(n, int) and n >= 0 for n in shape)):
        return "the first output has no well-formed 'shape'"
    if _flat_count(data) != math.prod(shape):
        return f"the first output's data does not hold the {math.prod(shape)} value(s) its shape {shape} says"
    return [math.prod(shape[1:])] * shape[0]


def _version(message: Mapping[str, Any], protocol: str) -> str:
    if protocol == SELDON:
        meta = message.get("meta")
        path = meta.get("requestPath") if isinstance(meta, dict) else None
        if isinstance(path, dict) and path:
            return ",".join(f"{node}={image}" for node, image in sorted(path.items()))
        return UNKNOWN_VERSION
    version = message.get("model_version")
    return str(version) if isinstance(version, str | int) and not isinstance(version, bool) and version != "" else UNKNOWN_VERSION


def check_answer(body: bytes, payload: Payload) -> Answer:
    """Whether a 200 answer is the message the request calls for, and which version it says answered."""
    try:
        message = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return Answer("the body is not JSON")
    if not isinstance(message, dict):
        return Answer("the body is not a JSON object")
    if payload.protocol == SELDON:
        rows = _seldon_rows(message)
    elif payload.protocol == KSERVE_V1:
        found = _row_lengths(message.get("predictions", message.get("outputs")))
        rows = found if found is not None else "no 'predictions' (or columnar 'outputs') list in the answer"
    else:
        rows = _v2_rows(message)
    if isinstance(rows, str):
        return Answer(rows)
    if payload.instances is not None and len(rows) != payload.instances:
        return Answer(f"{len(rows)} row(s) for {payload.instances} instance(s)")
    if payload.outputs is not None and any(n != payload.outputs for n in rows):
        return Answer(f"rows of {sorted(set(rows))} value(s), expected {payload.outputs}")
    return Answer(None, _version(message, payload.protocol))
