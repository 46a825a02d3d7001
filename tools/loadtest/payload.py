"""Request bodies in Seldon Core v1's REST protocol, and the check of each answer.

Seldon Core v1 (the operator this stack installs) serves ``POST /api/v1.0/predictions`` with a ``SeldonMessage``:
``{"data": {"names": [...], "ndarray": [...]}}`` in, the same message type out; an answer to an ``ndarray`` request
carries ``data.ndarray`` with one row per instance (the Python wrapper returns the type it was given, and names the
columns ``t:0`` ... ``t:N-1`` when the model has no class names). Sources: Seldon Core 1 docs, "External API" and
"Prediction Open API Spec" (docs.seldon.ai/seldon-core-1/reference/prediction-apis); SeldonIO/seldon-core
``servers/tfserving_proxy/TfServingProxy.py`` (the recipe's ``tfserving-proxy``: a REST ``ndarray`` becomes TF Serving's
``{"instances": ...}`` and ``predictions`` come back as the array) and ``python/seldon_core/utils.py``
(``client_class_names``: ``t:{i}``). A ``tensor`` answer (``{"shape": [...], "values": [...]}``) is accepted too.

The model this stack serves (``models/fashion-mnist/1``, ``scripts/make_model.py``) has the signature
``images: float32[batch, 28, 28] -> scores: float32[batch, 10]``, so the default body is a batch of seeded random
28x28 images and every answer must hold ``batch`` rows of 10 scores. ``--payload FILE`` sends a JSON file as it is
(for other models); then only the presence of ``data`` and the row count (when the file has ``data.ndarray``) are
checked, plus ``--expect-outputs`` when given.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMAGE_SIDE = 28
"""fashion-mnist images are 28x28 (``scripts/make_model.py``)."""
SCORES = 10
"""fashion-mnist has 10 classes: the model answers 10 scores per image."""
POOL = 8
"""Distinct generated bodies, sent in turn (different images without generating one per request)."""

INVALID_RESPONSE = "InvalidResponse"
"""Outcome of a 200 answer whose body is not the Seldon message the request calls for."""


class PayloadError(ValueError):
    """A ``--payload`` file that cannot be sent."""


@dataclass(frozen=True)
class Payload:
    """The bodies to send in turn, and what each answer must hold."""

    bodies: tuple[bytes, ...]
    instances: int | None
    """Rows each answer must have (``None``: not checked)."""
    outputs: int | None
    """Values per row each answer must have (``None``: not checked)."""
    description: str

    def body(self, index: int) -> bytes:
        """The body of the ``index``-th request."""
        return self.bodies[index % len(self.bodies)]


def image_batch(rng: random.Random, batch: int) -> list[list[list[float]]]:
    """``batch`` images of 28x28 floats in [0, 1), 4 decimals (like a normalized fashion-mnist image)."""
    return [[[round(rng.random(), 4) for _ in range(IMAGE_SIDE)] for _ in range(IMAGE_SIDE)] for _ in range(batch)]


def generated_payload(batch: int = 1, seed: int = 0) -> Payload:
    """Seeded random images shaped like the model's signature; answers must hold ``batch`` rows of 10 scores."""
    if batch < 1:
        raise PayloadError(f"--batch {batch}: must be at least 1")
    rng = random.Random(seed)
    bodies = tuple(json.dumps({"data": {"ndarray": image_batch(rng, batch)}}).encode() for _ in range(POOL))
    return Payload(bodies, batch, SCORES, f"{batch} generated 28x28 image(s) per request (seed {seed})")


def file_payload(path: Path, expect_outputs: int | None = None) -> Payload:
    """A JSON request body from a file, sent as it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PayloadError(f"--payload {path}: cannot read it: {err}") from None
    try:
        message = json.loads(text)
    except json.JSONDecodeError as err:
        raise PayloadError(f"--payload {path}: not JSON: {err}") from None
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        raise PayloadError(f'--payload {path}: expected a Seldon message {{"data": {{"ndarray": [...]}}}}')
    ndarray = message["data"].get("ndarray")
    instances = len(ndarray) if isinstance(ndarray, list) else None
    body = json.dumps(message).encode()
    return Payload((body,), instances, expect_outputs, f"{path.name} ({len(body)} bytes)")


def _rows(data: dict[str, Any]) -> list[int] | None:
    """Values per row of an ``ndarray`` or ``tensor`` answer; ``None`` when it is neither."""
    ndarray = data.get("ndarray")
    if isinstance(ndarray, list):
        return [len(row) if isinstance(row, list) else -1 for row in ndarray]
    tensor = data.get("tensor")
    if isinstance(tensor, dict):
        shape, values = tensor.get("shape"), tensor.get("values")
        if isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) for n in shape) and isinstance(values, list):
            if len(values) != shape[0] * shape[1]:
                return None
            return [shape[1]] * shape[0]
    return None


def check_answer(body: bytes, payload: Payload) -> str | None:
    """``None`` when a 200 answer is the Seldon message the request calls for, else why not (one short sentence)."""
    try:
        message = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "the body is not JSON"
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        return "no 'data' object in the answer"
    rows = _rows(message["data"])
    if rows is None:
        return "'data' holds neither an 'ndarray' nor a well-formed 'tensor'"
    if payload.instances is not None and len(rows) != payload.instances:
        return f"{len(rows)} row(s) for {payload.instances} instance(s)"
    if payload.outputs is not None and any(n != payload.outputs for n in rows):
        return f"rows of {sorted(set(rows))} value(s), expected {payload.outputs}"
    return None
