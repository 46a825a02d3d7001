"""Every Kubernetes object the program registers, validated offline against real schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tools.mockrun import Run
from tools.validate import CRD_SCHEMA_FILES, KUBERNETES_VERSION, SchemasMissing, validate_object


def test_every_object_of_every_stack_is_valid(stack_run: Run, schemas_dir: Path) -> None:
    objects = stack_run.kubernetes_objects()
    kinds = {o["kind"] for o in objects}
    assert {"PersistentVolume", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "Ingress", "PodDisruptionBudget"} <= kinds
    assert {"SeldonDeployment", "InferenceService"} & kinds
    assert len({"ElasticWorkload", "ResourcePolicy"} & kinds) == 1
    problems = [p for o in objects for p in validate_object(o, schemas_dir)]
    assert problems == []


def test_the_inference_service_pod_is_checked_against_kubernetes_own_pod_schema(schemas_dir: Path) -> None:
    from tests.conftest import run_stack

    isvc = _object(run_stack("prod"), "InferenceService")
    assert validate_object(isvc, schemas_dir) == []
    bad = copy.deepcopy(isvc)
    bad["spec"]["predictor"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [8501]
    bad["spec"]["predictor"]["terminationGracePeriodSeconds"] = "30"
    bad["spec"]["predictor"]["deploymentStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "surge": 1}}
    bad["spec"]["predictor"]["minReplica"] = 1
    assert validate_object(bad, schemas_dir) == [
        "InferenceService/fashion-mnist: spec.predictor: Additional properties are not allowed ('minReplica' was unexpected)",
        "InferenceService/fashion-mnist: .spec.predictor.minReplica: field not in the schema",
        "InferenceService/fashion-mnist: spec.predictor.containers.0.readinessProbe.httpGet.port: [8501] is not valid under any of the given schemas",
        "InferenceService/fashion-mnist: spec.predictor.terminationGracePeriodSeconds: '30' is not of type 'integer', 'null'",
        "InferenceService/fashion-mnist: spec.predictor.deploymentStrategy.rollingUpdate: Additional properties are not allowed ('surge' was unexpected)",
    ]


def test_the_validator_targets_what_ack_ships() -> None:
    assert KUBERNETES_VERSION.startswith("1.34")


def _object(run: Run, kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in run.kubernetes_objects() if o["kind"] == kind))


def test_built_in_schema_catches_a_wrong_field_and_a_wrong_type(dev_run: Run, schemas_dir: Path) -> None:
    pv = _object(dev_run, "PersistentVolume")
    pv["spec"]["persistentVolumeReclaimPolicyy"] = "Retain"
    assert any("persistentVolumeReclaimPolicyy" in p for p in validate_object(pv, schemas_dir))
    hpa = _object(dev_run, "HorizontalPodAutoscaler")
    hpa["spec"]["maxReplicas"] = "ten"
    assert any("maxReplicas" in p for p in validate_object(hpa, schemas_dir))


def test_removed_api_versions_are_reported(dev_run: Run, schemas_dir: Path) -> None:
    hpa = _object(dev_run, "HorizontalPodAutoscaler")
    hpa["apiVersion"] = "autoscaling/v2beta1"
    assert validate_object(hpa, schemas_dir) == [
        "HorizontalPodAutoscaler/fashion-mnist-eci-hpa: autoscaling/v2beta1 HorizontalPodAutoscaler does not exist in Kubernetes 1.34.0"
    ]


def test_crd_schemas_catch_wrong_types_and_unlisted_fields(dev_run: Run, schemas_dir: Path) -> None:
    ew = _object(dev_run, "ElasticWorkload")
    ew["spec"]["elasticUnit"][0]["max"] = -1
    ew["spec"]["sourceTarget"]["replicas"] = 1
    problems = validate_object(ew, schemas_dir)
    assert any("elasticUnit.0.max" in p and "minimum" in p for p in problems), problems
    assert any("sourceTarget" in p and "replicas" in p for p in problems), problems

    sdep = _object(dev_run, "SeldonDeployment")
    sdep["spec"]["predictors"][0]["graph"]["endpoint"]["typ"] = "REST"
    sdep["spec"]["predictors"][0]["replicas"] = "one"
    problems = validate_object(sdep, schemas_dir)
    assert any("graph.endpoint.typ: field not in the schema" in p for p in problems), problems
    assert any("predictors.0.replicas" in p for p in problems), problems


def test_unknown_custom_resources_are_not_waved_through(schemas_dir: Path) -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert validate_object(obj, schemas_dir) == ["Widget/w: no schema for custom resource example.com/v1 Widget"]


def test_missing_schema_folder_is_a_clear_error(dev_run: Run, tmp_path: Path) -> None:
    with pytest.raises(
        SchemasMissing, match=r"CRD schema .*elasticworkload_v1beta1\.json is missing from the repository's schemas/ folder"
    ):
        validate_object(_object(dev_run, "ElasticWorkload"), tmp_path)


def test_both_crd_schemas_are_present(schemas_dir: Path) -> None:
    assert schemas_dir == ROOT / "schemas", "the schemas are vendored in the repository"
    for filename in CRD_SCHEMA_FILES.values():
        assert (schemas_dir / filename).is_file(), filename
        assert filename in (schemas_dir / "README.md").read_text(), f"{filename} has no provenance in schemas/README.md"


def test_label_values_kubernetes_would_reject_are_reported(dev_run: Run, schemas_dir: Path) -> None:
    hpa = _object(dev_run, "HorizontalPodAutoscaler")
    hpa["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]["sls.ingress.route"] = "r" * 64
    pv = _object(dev_run, "PersistentVolume")
    pv["metadata"]["labels"]["app.kubernetes.io/part-of"] = "has space"
    assert any("sls.ingress.route" in p and "not a label value" in p for p in validate_object(hpa, schemas_dir))
    assert any("part-of" in p and "not a label value" in p for p in validate_object(pv, schemas_dir))
