"""A local stand-in for a KServe predictor, for the load tester's tests (127.0.0.1 only).

Two protocols, each as its source says:

- ``kserve-v1`` (TF Serving's REST API, KServe's v1 protocol): ``POST /v1/models/<m>:predict`` with
  ``{"instances": [...]}``, answered ``{"predictions": [...]}`` with one row of 10 scores per image and no model
  version (tensorflow/serving 2.3.0 ``http_rest_api_handler.cc`` ``ProcessPredictRequest`` writes only the outputs);
  an error is ``{"error": "..."}`` with status 400 (tensorflow/serving 2.3.0 ``tensorflow_serving/g3doc/api_rest.md``
  lines 12-18: "In case of error, all APIs will return a JSON object ... with ``error`` as key").
- ``v2`` (Open Inference Protocol): ``POST /v2/models/<m>/infer`` with ``{"inputs": [{"name", "shape", "datatype",
  "data"}]}``, answered ``{"model_name", "model_version", "id", "outputs": [{"name", "shape", "datatype", "data"}]}``
  with ``data`` flattened row-major; an error is ``{"error": "..."}`` (kserve v0.15.2
  ``docs/predict-api/v2/required_api.md``). ``versions`` gives the ``model_version`` of the ``n``-th answer in turn
  (none: the field is left out, as the protocol says of servers without versions).

Modes as :class:`tests.seldon_stub.SeldonStub` (``ok``, ``slow``, ``stall``, ``error``, ``badshape``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tests.seldon_stub import SIDE, SeldonStub, images_problem, scores

MODEL = "fashion-mnist"
V1 = "kserve-v1"
V2 = "v2"
V1_PATH = re.compile(r"/v1/models/([^/:]+)(?:/versions/\d+)?:predict")
V2_PATH = re.compile(r"/v2/models/([^/]+)(?:/versions/[^/]+)?/infer")


def _images_problem(images: Any) -> str | None:
    return images_problem(images, "expected a non-empty list of images")


class KServeStub(SeldonStub):
    """The server; ``protocol`` is ``kserve-v1`` or ``v2``."""

    def __init__(self, protocol: str = V1, mode: str = "ok", *, versions: Sequence[str] = (), **options: Any) -> None:
        if protocol not in (V1, V2):
            raise ValueError(f"protocol {protocol!r}: {V1} or {V2}")
        super().__init__(mode, **options)
        self.protocol = protocol
        self.versions = tuple(versions)

    @property
    def url(self) -> str:
        if self.protocol == V1:
            return f"{self.base}/v1/models/{MODEL}:predict"
        return f"{self.base}/v2/models/{MODEL}/infer"

    def routes(self, path: str) -> bool:
        match = (V1_PATH if self.protocol == V1 else V2_PATH).fullmatch(path)
        return match is not None and match.group(1) == MODEL

    def failure(self, info: str) -> dict[str, Any]:
        return {"error": info}

    def validate(self, message: Any) -> str | None:
        if not isinstance(message, dict):
            return "the body is not a JSON object"
        if self.protocol == V1:
            return _images_problem(message.get("instances"))
        inputs = message.get("inputs")
        if not (isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], dict)):
            return "expected one input"
        first = inputs[0]
        shape = first.get("shape")
        if first.get("datatype") != "FP32" or not (isinstance(shape, list) and shape[1:] == [SIDE, SIDE]):
            return "expected an FP32 input of shape [batch, 28, 28]"
        problem = _images_problem(first.get("data"))
        if problem is None and len(first["data"]) != shape[0]:
            return "the data does not hold shape[0] images"
        return problem

    def respond(self, message: Any, classes: int, index: int) -> dict[str, Any]:
        if self.protocol == V1:
            return {"predictions": [scores(image, classes) for image in message["instances"]]}
        images = message["inputs"][0]["data"]
        flat = [value for image in images for value in scores(image, classes)]
        answer: dict[str, Any] = {"model_name": MODEL, "id": str(index)}
        if self.versions:
            answer["model_version"] = self.versions[index % len(self.versions)]
        answer["outputs"] = [{"name": "scores", "shape": [len(images), classes], "datatype": "FP32", "data": flat}]
        return answer
