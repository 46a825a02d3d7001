"""The simulator with KServe serving: the ``external`` class keeps the live count; ``none`` writes minReplicas back.

Rules (kserve v0.20.0, ``reconcilers/deployment/deployment_reconciler.go``): only the class ``none`` writes
``minReplicas`` (default 1) into the predictor Deployment's ``replicas`` and compares it on every reconcile; every other
class ignores ``replicas``. The fights expected below are written from that rule, not from the simulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.render import pipeline as render
from tools.simulate.cli import main

STEP = ["--pattern", "step:10:100:60", "--no-plot"]


def _manifests(tmp_path: Path, mode: str, annotations: dict[str, str], predictor: dict[str, Any]) -> Path:
    """Prod rendered in ``mode``, its InferenceService's annotations and predictor fields changed, as YAML files."""
    rendered = render.render_stack("prod", {"scalingMode": mode})
    folder = tmp_path / "manifests"
    folder.mkdir()
    for manifest in rendered.manifests:
        body = dict(manifest.body)
        if body["kind"] == "InferenceService":
            body["metadata"]["annotations"] = annotations
            body["spec"]["predictor"].update(predictor)
        (folder / manifest.file).write_text(yaml.safe_dump(body), encoding="utf-8")
    return folder


def _run(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out"
    status = main([*args, *STEP, "--out", str(out)])
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return status, summary


def test_prod_on_kserve_external_keeps_the_count(tmp_path: Path) -> None:
    status, summary = _run(tmp_path, "--stack", "prod")
    assert status == 0
    assert summary["fights"] == []
    assert summary["seldon"] is None
    assert summary["kserve"] == {
        "object": "InferenceService/fashion-mnist",
        "deployment": "fashion-mnist-predictor",
        "autoscalerClass": "external",
        "replicas": None,
        "replicasField": None,
        "notes": [],
    }


@pytest.mark.parametrize("mode", ["elasticWorkload", "resourcePolicy"])
def test_a_kserve_model_simulates_cleanly_in_each_mode(tmp_path: Path, mode: str) -> None:
    external = {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "external"}
    status, summary = _run(tmp_path, "--manifests", str(_manifests(tmp_path, mode, external, {})))
    assert status == 0 and summary["fights"] == []
    assert summary["mode"] == mode
    assert summary["target"] == (
        "ElasticWorkload/fashion-mnist-ew" if mode == "elasticWorkload" else "Deployment/fashion-mnist-predictor"
    )


@pytest.mark.parametrize(
    ("mode", "other"),
    [("elasticWorkload", "ElasticWorkload/fashion-mnist-ew"), ("resourcePolicy", "HorizontalPodAutoscaler/fashion-mnist-hpa")],
)
def test_the_none_class_writes_min_replicas_back_and_fights(tmp_path: Path, mode: str, other: str) -> None:
    folder = _manifests(
        tmp_path,
        mode,
        {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "none"},
        {"minReplicas": 2},
    )
    status, summary = _run(tmp_path, "--manifests", str(folder))
    assert status == 3
    (fight,) = summary["fights"]
    assert fight["object"] == "Deployment/fashion-mnist-predictor"
    assert set(fight["writers"]) == {other, "InferenceService/fashion-mnist"}
    assert summary["kserve"]["replicas"] == 2
    assert summary["kserve"]["replicasField"] == "spec.predictor.minReplicas"


def test_the_none_class_without_min_replicas_writes_one(tmp_path: Path) -> None:
    folder = _manifests(
        tmp_path,
        "resourcePolicy",
        {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "none"},
        {},
    )
    status, summary = _run(tmp_path, "--manifests", str(folder))
    assert status == 3
    assert summary["kserve"]["replicas"] == 1
    assert summary["kserve"]["replicasField"] == "spec.predictor.minReplicas (default 1)"


def test_bounds_set_with_the_external_class_are_reported_not_obeyed(tmp_path: Path) -> None:
    folder = _manifests(
        tmp_path,
        "elasticWorkload",
        {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "external"},
        {"minReplicas": 5, "maxReplicas": 6},
    )
    status, summary = _run(tmp_path, "--manifests", str(folder))
    assert status == 0 and summary["fights"] == []
    assert summary["kserve"]["notes"] == [
        "InferenceService/fashion-mnist sets spec.predictor.minReplicas = 5 with the autoscaler class 'external': KServe "
        "ignores it there; the HorizontalPodAutoscaler's bounds apply",
        "InferenceService/fashion-mnist sets spec.predictor.maxReplicas = 6 with the autoscaler class 'external': KServe "
        "ignores it there; the HorizontalPodAutoscaler's bounds apply",
    ]
