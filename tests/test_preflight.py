"""Preflight: the stack's prerequisites, and the live-cluster check run with the real Kubernetes client.

The cluster is a local HTTP server on 127.0.0.1 answering with the JSON documents under
``tests/fixtures/preflight/`` (written in the shape of the API server's responses: ``Status`` objects for errors,
``*List`` objects for collections, CRDs as ``apiextensions.k8s.io/v1`` returns them). The client, its kubeconfig
loading and its HTTP stack are the real ones; the server records every request so the tests can show preflight only
ever sent GET.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from stackconfig import load
from stackconfig.addons import CATALOG
from stackconfig.prerequisites import (
    RENDERED_RESOURCE_POLICY_FIELDS,
    RESOURCE_POLICY_FIELDS,
    SCHEDULER,
    at_least,
    resource_policy_needs,
    scheduler_series,
    stack_needs,
)
from tools.preflight.checks import ADDON_PROBES, image_name, image_tag, run_checks
from tools.preflight.cli import build_parser, main
from tools.preflight.client import GetOnlyRest, ReadOnlyApi, WriteRefused, load_client
from tools.preflight.plan import StackPlan, build_plan
from tools.preflight.report import Row
from tools.preflight.schema import object_unknown_fields, unknown_fields
from tools.render import render_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "preflight"


# ----------------------------------------------------------------------------------------------------- the stub API server


def scenario(name: str) -> dict[str, Any]:
    """The responses of a scenario file, with the responses of the scenario it extends beneath them."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    base = scenario(data["extends"]) if "extends" in data else {"responses": {}}
    responses = {**base["responses"], **data["responses"]}
    return {**base, **data, "responses": responses}


def _key(raw_path: str) -> str:
    parts = urlsplit(raw_path)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query)))
    return parts.path + (f"?{query}" if query else "")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class StubApi:
    """An HTTP server on 127.0.0.1 that answers from a scenario and records (method, path) of every request."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.requests: list[tuple[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                stub.requests.append((self.command, self.path))
                code, body = stub.answer(self.command, _key(self.path))
                payload = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def answer(self, method: str, key: str) -> tuple[int, Any]:
        if method != "GET":
            return 405, _status(405, "MethodNotAllowed", f"the stub serves GET only, not {method}")
        known = self.data["responses"].get(key)
        if known is None and "forbid_others" in self.data:
            user = self.data["forbid_others"]["user"]
            return 403, _status(403, "Forbidden", f'forbidden: User "{user}" cannot get path "{key.split("?")[0]}"')
        if known is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        body = json.loads((FIXTURES / known["file"]).read_text()) if "file" in known else known["body"]
        return int(known["status"]), body

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StubApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "ack", "cluster": {"server": server}}],
                "users": [{"name": "reader", "user": {"token": "test-token-not-a-secret"}}],
                "contexts": [{"name": "ack-reader", "context": {"cluster": "ack", "user": "reader"}}],
                "current-context": "ack-reader",
            }
        )
    )
    return path


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def staging_plan() -> StackPlan:
    raw, secret_keys = render_config("staging", project_dir=ROOT)
    return build_plan("staging", load(raw, secret_keys, ROOT), ROOT)


def rrsa_override() -> dict[str, Any]:
    """Staging reduced to its node pool unit with RRSA: RRSA is documented only where the CSI node plugin mounts the
    volume (stackconfig/volume_auth.py), and resourcePolicy mode needs an eci unit, so this is an elasticWorkload stack."""
    stack = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]
    model = dict(stack["eci-inference:models"][0])
    model["units"] = [u for u in model["units"] if u.get("resource") == "ecs"]
    model.update(minReplicas=1, maxReplicas=2)
    for key in ("imageCache", "schedules"):
        model.pop(key, None)
    return {
        "volumeAuth": "rrsa",
        "rrsaRoleName": "eci-inference-staging-oss-reader",
        "scalingMode": "elasticWorkload",
        "models": [model],
    }


@pytest.fixture(scope="module")
def rrsa_plan() -> StackPlan:
    override = rrsa_override()
    raw, secret_keys = render_config("staging", override, project_dir=ROOT)
    return build_plan("staging", load(raw, secret_keys, ROOT), ROOT, override)


def run(plan: StackPlan, name: str, tmp_path: Path) -> tuple[list[Row], StubApi]:
    with StubApi(scenario(name)) as stub:
        client = load_client(str(write_kubeconfig(tmp_path / "kubeconfig", stub.url)), None)
        rows = run_checks(ReadOnlyApi(client), plan)
    return rows, stub


def by_check(rows: list[Row]) -> dict[str, Row]:
    return {r.check: r for r in rows}


# ----------------------------------------------------------------------------------------------------- prerequisites


def config_of(stack: str) -> Any:
    raw, secret_keys = render_config(stack, project_dir=ROOT)
    return load(raw, secret_keys, ROOT)


def test_prerequisite_tables_of_the_committed_stacks() -> None:
    """Minimums written out by hand from the rules' documents (see stackconfig/prerequisites.py)."""
    assert stack_needs(config_of("dev")).table() == {
        "ack-alibaba-cloud-metrics-adapter": None,
        "ack-kubernetes-elastic-workload": None,
        "ack-virtual-node": "2.11.0",  # spot units with graceful eviction (above the elasticWorkload minimum)
        "csi-plugin": None,  # the source Deployment (sourceMax 1) mounts the volume on a node
        "kubernetes": "1.23",  # autoscaling/v2
        "seldon-core": None,
    }
    assert stack_needs(config_of("staging")).table() == {
        "ack-alibaba-cloud-metrics-adapter": None,
        "ack-kubernetes-cronhpa-controller": None,
        "ack-virtual-node": "2.11.0",
        "csi-plugin": None,  # the node pool unit; accessKey needs no version
        "kube-scheduler": "6.2",  # matchLabelKeys
        "kubernetes": "1.23",  # above ResourcePolicy's 1.20.11 and max's 1.22
        "seldon-core": None,
    }
    assert stack_needs(config_of("prod")).table() == {  # ECI only, ramRole: no CSI node plugin involved
        "ack-alibaba-cloud-metrics-adapter": None,
        "ack-kubernetes-elastic-workload": None,
        "ack-virtual-node": "2.11.0",
        "kserve": "v0.16.0",  # served by KServe: its Standard deployment mode, and no Seldon
        "kserve-crd": "v0.16.0",
        "kubernetes": "1.23",
    }


def test_prerequisites_of_rrsa(rrsa_plan: StackPlan) -> None:
    assert rrsa_plan.prerequisites.table() == {
        "ack-alibaba-cloud-metrics-adapter": None,
        "ack-kubernetes-elastic-workload": None,
        "ack-virtual-node": "v2.0.0.102-045a06eb4-aliyun",  # no spot unit: only elasticWorkload's minimum
        "csi-plugin": "v1.30.4",
        "csi-provisioner": "v1.30.4",
        "kubernetes": "1.26",
        "seldon-core": None,
    }


def test_each_resource_policy_field_needs_what_acks_document_says() -> None:
    """ACK, 'Configure priority-based scheduling for elastic resources' (doc 398680), field by field."""
    expected = {
        "spec.preemptPolicy": ("6.1", None),
        "spec.ignorePreviousPod": ("6.1", None),
        "spec.ignoreTerminatingPod": ("6.1", None),
        "spec.matchLabelKeys": ("6.2", None),
        "spec.whenTryNextUnits": ("6.4", "1.24"),
        "spec.units[].max": ("5.0", "1.22"),
        "spec.units[].maxResources": ("6.9.5", None),
    }
    for path, (scheduler, cluster) in expected.items():
        rule = RESOURCE_POLICY_FIELDS[path]
        assert (rule.scheduler, rule.cluster) == (scheduler, cluster), path
    needs = resource_policy_needs(["spec.whenTryNextUnits"])
    assert sorted((n.component, n.minimum) for n in needs) == [
        ("kube-scheduler", "6.4"),
        ("kubernetes", "1.20.11"),
        ("kubernetes", "1.24"),
    ]


def _paths(value: Any, prefix: str, out: set[str], maps: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}"
            out.add(path)
            if path not in maps:
                _paths(item, path, out, maps)
    elif isinstance(value, list):
        for item in value:
            _paths(item, f"{prefix}[]", out, maps)


def test_rendered_resource_policy_uses_exactly_the_listed_fields(staging_plan: StackPlan) -> None:
    [policy] = [b for b in staging_plan.objects if b["kind"] == "ResourcePolicy"]
    maps = {"spec.selector", "spec.units[].nodeSelector", "spec.units[].podLabels", "spec.units[].podAnnotations"}
    found: set[str] = set()
    _paths(policy["spec"], "spec", found, maps)
    assert found == set(RENDERED_RESOURCE_POLICY_FIELDS)
    assert found <= set(RESOURCE_POLICY_FIELDS)


@pytest.mark.parametrize(
    ("component", "found", "minimum", "expected"),
    [
        (SCHEDULER, "v1.28.15-aliyun-6.2", "6.2", True),  # the edge
        (SCHEDULER, "v1.28.15-aliyun-6.1.9.abc1234", "6.2", False),  # just below
        (SCHEDULER, "v1.22.15-ack-2.0", "6.1", None),  # the older numbering cannot be compared
        ("kubernetes", "v1.26.0-aliyun.1", "1.26", True),
        ("kubernetes", "v1.25.15-aliyun.1", "1.26", False),
        ("ack-virtual-node", "v2.11.0-f1a2b3c-aliyun", "2.11.0", True),
        ("ack-virtual-node", "v2.10.9-0c3d4e5-aliyun", "2.11.0", False),
        ("csi-plugin", "v1.30.4-3ab1edc-aliyun", "v1.30.4", True),
        ("csi-plugin", "v1.30.3-aaaaaaa-aliyun", "v1.30.4", False),
        ("csi-plugin", "latest", "v1.30.4", None),
    ],
)
def test_version_edges(component: str, found: str, minimum: str, expected: bool | None) -> None:
    assert at_least(component, found, minimum) is expected


def test_scheduler_series_and_image_parts() -> None:
    assert scheduler_series("v1.28.3-aliyun-6.2.1.c1d9c4b") == (6, 2, 1)
    assert scheduler_series("v1.20.4-ack-7.0") is None
    assert image_tag("registry-vpc.cn-hangzhou.aliyuncs.com/acs/csi-plugin:v1.30.4-3ab1edc-aliyun") == "v1.30.4-3ab1edc-aliyun"
    assert image_tag("registry.example.com:5000/acs/csi-plugin") is None
    assert image_tag("seldonio/seldon-core-operator:1.17.1@sha256:" + "0" * 64) == "1.17.1"
    assert image_name("registry.example.com:5000/acs/csi-plugin:v1") == "csi-plugin"


# ----------------------------------------------------------------------------------------------------- CRD fields


OLD_RESOURCE_POLICY_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "selector": {"type": "object", "additionalProperties": {"type": "string"}},
                "strategy": {"type": "string"},
                "units": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "resource": {"type": "string"},
                            "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                            "podLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "podAnnotations": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                },
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    },
}
"""A ResourcePolicy CRD from before max (scheduler 5.0) and the 6.x fields: written here to test the pruning rule."""


def test_fields_a_schema_would_prune() -> None:
    policy = {
        "apiVersion": "scheduling.alibabacloud.com/v1alpha1",
        "kind": "ResourcePolicy",
        "metadata": {"name": "p", "labels": {"anything": "goes"}},
        "spec": {
            "selector": {"eci-inference.io/predictor": "x"},
            "strategy": "prefer",
            "units": [{"resource": "eci", "max": 4, "podLabels": {"a": "b"}}, {"resource": "ecs", "max": 2}],
            "matchLabelKeys": ["pod-template-hash"],
            "ignoreTerminatingPod": True,
            "extra": {"free": {"form": 1}},
        },
    }
    assert object_unknown_fields(policy, OLD_RESOURCE_POLICY_SCHEMA) == [
        "spec.units[].max",
        "spec.matchLabelKeys",
        "spec.ignoreTerminatingPod",
    ]
    assert unknown_fields({"a": {"b": 1}}, {"type": "object", "x-kubernetes-preserve-unknown-fields": True}) == []
    assert unknown_fields({"a": 1}, {"type": "object", "properties": {"a": {"type": "integer"}}}) == []


# ----------------------------------------------------------------------------------------------------- against the stub cluster


def test_healthy_cluster_passes_every_check_with_get_only(staging_plan: StackPlan, tmp_path: Path) -> None:
    rows, stub = run(staging_plan, "healthy", tmp_path)
    checks = by_check(rows)
    assert [r.check for r in rows if r.status != "pass"] == []
    assert set(checks) == {
        "cluster version",
        "namespace inference",
        "virtual node (ack-virtual-node)",
        "add-on seldon-core",
        "add-on ack-alibaba-cloud-metrics-adapter",
        "add-on ack-kubernetes-cronhpa-controller",
        "CRD SeldonDeployment",
        "CRD ResourcePolicy",
        "CRD ImageCache",
        "CRD CronHorizontalPodAutoscaler",
        "kube-scheduler",
        "csi-plugin",
        "APIService v1beta1.external.metrics.k8s.io",
        "metric sls_ingress_qps (fashion-mnist-hpa)",
        "ingress log collection (k8s-nginx-ingress)",
    }
    assert checks["cluster version"].found == "v1.28.15-aliyun.1 (needs >= 1.23)"
    assert checks["namespace inference"].found == "absent; this stack creates it"
    assert "v2.11.5-f1a2b3c-aliyun (needs >= 2.11.0)" in checks["virtual node (ack-virtual-node)"].found
    assert checks["kube-scheduler"].found.startswith("v1.28.15-aliyun-6.4.2.1f2e3d4 (needs >= 5.0 for ResourcePolicy")
    assert checks["metric sls_ingress_qps (fashion-mnist-hpa)"].found == (
        "answers 0 for sls.ingress.route=inference-fashion-mnist-predictor-8000,sls.logstore=nginx-ingress,"
        "sls.project=k8s-log-c0fedcba9876543210fedcba987654321"
    )
    assert {method for method, _ in stub.requests} == {"GET"}
    assert len(stub.requests) == len({path for _, path in stub.requests})  # each path asked once


def test_missing_metrics_apiservice_fails_and_skips_the_metric(staging_plan: StackPlan, tmp_path: Path) -> None:
    rows, _ = run(staging_plan, "no-metrics-apiservice", tmp_path)
    checks = by_check(rows)
    apiservice = checks["APIService v1beta1.external.metrics.k8s.io"]
    assert (apiservice.status, apiservice.found) == ("fail", "not registered, although alibaba-cloud-metrics-adapter runs")
    assert apiservice.fix == "install or repair ack-alibaba-cloud-metrics-adapter"
    assert checks["metric sls_ingress_qps (fashion-mnist-hpa)"].status == "warn"
    assert [r.check for r in rows if r.status == "fail"] == ["APIService v1beta1.external.metrics.k8s.io"]


def test_old_virtual_node_fails_with_the_minimum_and_its_reason(staging_plan: StackPlan, tmp_path: Path) -> None:
    rows, _ = run(staging_plan, "old-virtual-node", tmp_path)
    row = by_check(rows)["virtual node (ack-virtual-node)"]
    assert row.status == "fail"
    assert "v2.10.9-0c3d4e5-aliyun, below 2.11.0 (used for spotGracefulEviction" in row.found
    assert row.fix == "upgrade ack-virtual-node to 2.11.0 or later (or pin addons.ack-virtual-node.version)"
    assert [r.check for r in rows if r.status == "fail"] == ["virtual node (ack-virtual-node)"]


def test_forbidden_reads_fail_every_check_but_the_version(staging_plan: StackPlan, tmp_path: Path) -> None:
    rows, stub = run(staging_plan, "forbidden", tmp_path)
    checks = by_check(rows)
    assert checks["cluster version"].status == "pass"
    failed = [r for r in rows if r.status == "fail"]
    assert {r.check for r in failed} == set(checks) - {"cluster version"}
    assert all(r.found.startswith("cannot tell: reading ") and "forbidden" in r.found for r in failed)
    assert all("preflight only reads" in r.fix for r in failed)
    assert {method for method, _ in stub.requests} == {"GET"}


def test_the_client_refuses_anything_but_get_before_sending(tmp_path: Path) -> None:
    with StubApi(scenario("healthy")) as stub:
        client = load_client(str(write_kubeconfig(tmp_path / "kubeconfig", stub.url)), None)
        assert isinstance(client.rest_client, GetOnlyRest)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with pytest.raises(WriteRefused, match=f"refused {method} /api/v1/namespaces"):
                client.call_api(method, f"{stub.url}/api/v1/namespaces", header_params={}, body={})
        assert ReadOnlyApi(client).get("/version").status == 200
    assert stub.requests == [("GET", "/version")]


# ----------------------------------------------------------------------------------------------------- the command line


def test_cli_json_on_the_healthy_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StubApi(scenario("healthy")) as stub:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", stub.url)
        status = main(["--stack", "staging", "--kubeconfig", str(kubeconfig), "--context", "ack-reader", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (out["stack"], out["server"], out["status"]) == ("staging", stub.url, 0)
    assert {r["status"] for r in out["rows"]} == {"pass"}
    assert set(out["rows"][0]) == {"check", "status", "found", "fix"}
    assert "test-token-not-a-secret" not in json.dumps(out)


def test_cli_exits_1_when_a_check_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StubApi(scenario("old-virtual-node")) as stub:
        status = main(["--stack", "staging", "--kubeconfig", str(write_kubeconfig(tmp_path / "k", stub.url))])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL  virtual node (ack-virtual-node)" in out
    assert out.rstrip().endswith("14 pass, 0 warn, 1 fail")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stack", "nope"], "preflight: unknown stack 'nope': there is no "),
        (["--stack", "dev", "--kubeconfig", "/nonexistent/kubeconfig"], "preflight: cannot use /nonexistent/kubeconfig: "),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_cli_unknown_context_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1")
    assert main(["--stack", "dev", "--kubeconfig", str(kubeconfig), "--context", "other"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"preflight: cannot use {kubeconfig}: ") and "other" in err
    assert err.count("\n") == 1


def test_unreachable_cluster_exits_2_with_one_line_as_a_process(tmp_path: Path) -> None:
    """The done-when item, as written: ``venv/bin/python -m tools.preflight --stack dev`` with an unreachable
    kubeconfig (here through ``$KUBECONFIG``, the client's default). Its embedded client key, which the Kubernetes
    client writes to a temporary file, is gone when the command has ended."""
    port = closed_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"https://127.0.0.1:{port}")
    config = yaml.safe_load(kubeconfig.read_text())
    fake = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n").decode()
    config["users"][0]["user"] = {"client-certificate-data": fake, "client-key-data": fake}
    config["clusters"][0]["cluster"]["certificate-authority-data"] = fake
    kubeconfig.write_text(yaml.safe_dump(config))
    temp = tmp_path / "tmp"
    temp.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "tools.preflight", "--stack", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "KUBECONFIG": str(kubeconfig), "TMPDIR": str(temp)},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"preflight: cannot reach the cluster at https://127.0.0.1:{port}: connection refused\n"
    assert list(temp.iterdir()) == []


def test_every_catalog_add_on_has_a_probe() -> None:
    assert set(ADDON_PROBES) == set(CATALOG)


def test_generic_fixture_server_serves_real_shaped_errors() -> None:
    stub = StubApi(scenario("forbidden"))
    code, body = stub.answer("GET", "/api/v1/nodes?labelSelector=type=virtual-kubelet")
    assert code == 403 and body["kind"] == "Status" and body["reason"] == "Forbidden"
    stub.server.server_close()


def test_fixture_crds_are_apiextensions_v1_objects() -> None:
    for path in sorted((FIXTURES / "crds").glob("*.json")):
        crd = json.loads(path.read_text())
        spec = crd["spec"]
        assert (crd["apiVersion"], crd["kind"]) == ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        assert crd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}" == path.stem
        assert all("openAPIV3Schema" in v["schema"] for v in spec["versions"])


# ----------------------------------------------------------------------------------------------------- --from-ack


class AckStub:
    """ACK's OpenAPI endpoint on 127.0.0.1: DescribeClusterUserKubeconfig (``GET /k8s/{ClusterId}/user_config``)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append((self.command, self.path, dict(self.headers)))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> AckStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_from_ack_asks_for_a_temporary_kubeconfig_of_the_stacks_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "LTAI-test-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "test-secret-value")
    with StubApi(scenario("healthy")) as cluster:
        issued = write_kubeconfig(tmp_path / "issued", cluster.url).read_text()
        with AckStub(200, {"config": issued, "expiration": "2026-12-03T09:00:00Z"}) as ack:
            status = main(["--stack", "staging", "--from-ack", "--ack-endpoint", ack.url, "--json"])
    out = capsys.readouterr().out
    assert status == 0 and json.loads(out)["server"] == cluster.url
    [(method, path, headers)] = ack.requests
    assert (method, path) == ("GET", "/k8s/c0fedcba9876543210fedcba987654321/user_config?TemporaryDurationMinutes=15")
    assert headers["x-acs-action"] == "DescribeClusterUserKubeconfig"
    assert "LTAI-test-id" in headers["Authorization"] and "test-secret-value" not in json.dumps(headers)
    assert "test-secret-value" not in out and "test-token-not-a-secret" not in out


def test_from_ack_refused_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "LTAI-test-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "test-secret-value")
    refusal = {
        "code": "ErrorRamPolicyCheckFail",
        "message": "the RAM user may not DescribeClusterUserKubeconfig",
        "requestId": "0A1B",
    }
    with AckStub(403, refusal) as ack:
        assert main(["--stack", "staging", "--from-ack", "--ack-endpoint", ack.url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("preflight: ACK refused the kubeconfig of cluster c0fedcba9876543210fedcba987654321 (cn-hangzhou): ")
    assert "ErrorRamPolicyCheckFail" in err and err.count("\n") == 1 and "test-secret-value" not in err


def test_from_ack_without_credentials_is_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALICLOUD_ACCESS_KEY", raising=False)
    monkeypatch.delenv("ALICLOUD_SECRET_KEY", raising=False)
    assert main(["--stack", "staging", "--from-ack", "--ack-endpoint", f"http://127.0.0.1:{closed_port()}"]) == 2
    assert capsys.readouterr().err == (
        "preflight: --from-ack needs ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY in the environment "
        "(the credentials pulumi up uses)\n"
    )


# ----------------------------------------------------------------------------------------------------- deploy.yml


DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"


def deploy_jobs() -> list[dict[str, Any]]:
    jobs = yaml.safe_load(DEPLOY.read_text())["jobs"]
    return [job for job in jobs.values() if any(s.get("with", {}).get("command") == "up" for s in job["steps"])]


def preflight_step(job: Mapping[str, Any]) -> dict[str, Any]:
    [step] = [s for s in job["steps"] if "-m tools.preflight" in s.get("run", "")]
    return dict(step)


def test_deploy_runs_preflight_before_every_pulumi_up() -> None:
    jobs = deploy_jobs()
    assert len(jobs) == 2  # the stacks without approval, and prod
    for job in jobs:
        order = job["steps"]
        step = preflight_step(job)
        up = next(s for s in order if s.get("with", {}).get("command") == "up")
        secrets = next(s for s in order if "--missing-secrets" in s.get("run", ""))
        installs = next(s for s in order if "-r requirements-dev.txt" in s.get("run", ""))
        assert order.index(secrets) < order.index(installs) < order.index(step) < order.index(up)
        assert "${{" not in step["run"]  # values reach the script through env only
        assert set(step["env"]) == {"STACK_NAME"}
        assert {"ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "STACK"} <= set(job["env"])
        parser = build_parser()
        for line in step["run"].splitlines():
            if "-m tools.preflight" in line:
                words = shlex.split(line.split("-m tools.preflight", 1)[1])
                parser.parse_args([w.replace("$STACK_NAME", "dev").replace("$kubeconfig", "k") for w in words])


def run_preflight_step(tmp_path: Path, kubeconfig: str | None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The deploy job's preflight step, with ``pulumi config get`` printing ``kubeconfig`` (or failing, as for a stack
    without that key) and ``venv/bin/python`` recording what it was asked and what the kubeconfig file held, then
    exiting 3 as a failed preflight would stop the job."""
    work = tmp_path / "work"
    (work / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    log = tmp_path / "log"
    answer = f"cat <<'KUBECONFIG'\n{kubeconfig}KUBECONFIG\n" if kubeconfig is not None else "echo 'error: no key' >&2; exit 1\n"
    record = shlex.quote(str(log))
    python = (
        f'#!/bin/sh\necho "python $*" >> {record}\n'
        f'for a in "$@"; do case "$a" in */kubeconfig) stat -c "mode %a" "$a" >> {record}; cat "$a" >> {record};; esac; done\n'
        "exit 3\n"
    )
    for path, text in {work / "venv" / "bin" / "python": python, tmp_path / "bin" / "pulumi": f"#!/bin/sh\n{answer}"}.items():
        path.write_text(text)
        path.chmod(0o755)
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "STACK": "acme/dev",
        "STACK_NAME": "dev",
    }
    script = preflight_step(deploy_jobs()[0])["run"]
    done = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines()


def test_deploy_step_uses_the_stacks_kubeconfig_secret_privately_and_removes_it(tmp_path: Path) -> None:
    done, log = run_preflight_step(tmp_path, "apiVersion: v1\nkind: Config\n")
    kubeconfig = tmp_path / "kubeconfig"
    assert done.returncode == 3  # preflight's failure stops the job
    assert log == [
        f"python -m tools.preflight --stack dev --kubeconfig {kubeconfig}",
        "mode 600",
        "apiVersion: v1",
        "kind: Config",
    ]
    assert not kubeconfig.exists()


def test_deploy_step_without_the_secret_asks_ack(tmp_path: Path) -> None:
    done, log = run_preflight_step(tmp_path, None)
    assert done.returncode == 3
    assert log == ["python -m tools.preflight --stack dev --from-ack"]
    assert not (tmp_path / "kubeconfig").exists()


# ----------------------------------------------------------------------------------------------------- one fact changed


def healthy_with(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The healthy scenario with some responses replaced (``None`` removes one: the stub then answers 404)."""
    data = scenario("healthy")
    responses = dict(data["responses"])
    for path, response in changes.items():
        if response is None:
            responses.pop(path, None)
        else:
            responses[path] = response
    return {**data, "responses": responses}


def run_data(plan: StackPlan, data: Mapping[str, Any], tmp_path: Path) -> dict[str, Row]:
    with StubApi(data) as stub:
        client = load_client(str(write_kubeconfig(tmp_path / "kubeconfig", stub.url)), None)
        rows = run_checks(ReadOnlyApi(client), plan)
    return by_check(rows)


def fixture_body(path: str) -> Any:
    known = scenario("healthy")["responses"][path]
    return json.loads((FIXTURES / known["file"]).read_text()) if "file" in known else known["body"]


CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
APISERVICE = "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io"
KUBE_SYSTEM_DEPLOYMENTS = "/apis/apps/v1/namespaces/kube-system/deployments"


def test_a_live_resource_policy_crd_without_the_6x_fields_fails(staging_plan: StackPlan, tmp_path: Path) -> None:
    crd = fixture_body(CRD + "resourcepolicies.scheduling.alibabacloud.com")
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    for field in ("ignorePreviousPod", "ignoreTerminatingPod", "matchLabelKeys"):
        del spec[field]
    row = run_data(
        staging_plan, healthy_with({CRD + "resourcepolicies.scheduling.alibabacloud.com": {"status": 200, "body": crd}}), tmp_path
    )["CRD ResourcePolicy"]
    assert row.status == "fail"
    assert row.found == (
        "resourcepolicies.scheduling.alibabacloud.com v1alpha1 lacks spec.ignorePreviousPod, spec.ignoreTerminatingPod, "
        "spec.matchLabelKeys: the API server would drop them"
    )
    assert row.fix.startswith("upgrade kube-scheduler (ACK Pro) (kube-scheduler >= 5.0 for ResourcePolicy spec.units[].max;")


def test_a_crd_not_serving_the_rendered_version_fails(staging_plan: StackPlan, tmp_path: Path) -> None:
    crd = fixture_body(CRD + "imagecaches.eci.alibabacloud.com")
    crd["spec"]["versions"][0]["name"] = "v1alpha1"
    row = run_data(
        staging_plan, healthy_with({CRD + "imagecaches.eci.alibabacloud.com": {"status": 200, "body": crd}}), tmp_path
    )["CRD ImageCache"]
    assert (row.status, row.found) == ("fail", "imagecaches.eci.alibabacloud.com does not serve v1 (serves v1alpha1)")


def test_absent_crds_pass_when_an_add_on_the_stack_installs_brings_them(staging_plan: StackPlan, tmp_path: Path) -> None:
    checks = run_data(
        staging_plan,
        healthy_with(
            {
                CRD + "seldondeployments.machinelearning.seldon.io": None,
                CRD + "resourcepolicies.scheduling.alibabacloud.com": None,
            }
        ),
        tmp_path,
    )
    assert (checks["CRD SeldonDeployment"].status, checks["CRD SeldonDeployment"].found) == (
        "pass",
        "seldondeployments.machinelearning.seldon.io absent; the seldon-core add-on this stack installs brings it",
    )
    resource_policy = checks["CRD ResourcePolicy"]
    assert (resource_policy.status, resource_policy.fix) == (
        "fail",
        "ResourcePolicy comes with ACK managed Pro clusters 1.20.11 or later: use one, or scalingMode: elasticWorkload",
    )


def test_a_crd_under_another_name_is_found_by_group_and_kind(staging_plan: StackPlan, tmp_path: Path) -> None:
    crd = fixture_body(CRD + "imagecaches.eci.alibabacloud.com")
    crd["metadata"]["name"] = crd["spec"]["names"]["plural"] = "imagecachesets"
    crd["metadata"]["name"] += ".eci.alibabacloud.com"
    listing = {
        "kind": "CustomResourceDefinitionList",
        "apiVersion": "apiextensions.k8s.io/v1",
        "metadata": {"resourceVersion": "1"},
        "items": [crd],
    }
    data = healthy_with({CRD + "imagecaches.eci.alibabacloud.com": None, CRD.rstrip("/"): {"status": 200, "body": listing}})
    row = run_data(staging_plan, data, tmp_path)["CRD ImageCache"]
    assert row.status == "pass" and row.found.startswith("imagecachesets.eci.alibabacloud.com v1 knows every field")


def test_rrsa_on_a_healthy_cluster(rrsa_plan: StackPlan, tmp_path: Path) -> None:
    checks = run_data(rrsa_plan, scenario("healthy"), tmp_path)
    assert checks["RRSA"].status == "pass"
    assert checks["RRSA"].found.startswith("enabled: the service-account issuer is https://oidc-ack-cn-hangzhou")
    assert checks["cluster version"].found == "v1.28.15-aliyun.1 (needs >= 1.26)"
    assert (checks["csi-plugin"].status, checks["csi-provisioner"].status) == ("pass", "pass")
    assert checks["csi-provisioner"].found.endswith(
        "csi-plugin:v1.30.4-3ab1edc-aliyun (needs >= v1.30.4 for OSS volume with RRSA)"
    )


def test_rrsa_not_enabled_fails(rrsa_plan: StackPlan, tmp_path: Path) -> None:
    oidc = {
        "issuer": "https://kubernetes.default.svc",
        "jwks_uri": "https://192.168.0.1:6443/openid/v1/jwks",
        "response_types_supported": ["id_token"],
    }
    row = run_data(rrsa_plan, healthy_with({"/.well-known/openid-configuration": {"status": 200, "body": oidc}}), tmp_path)[
        "RRSA"
    ]
    assert row.status == "fail"
    assert row.found == "not enabled: the service-account issuer is https://kubernetes.default.svc, not ACK's RRSA OIDC provider"
    forbidden = run_data(
        rrsa_plan,
        {
            **scenario("healthy"),
            "forbid_others": {"user": "reader"},
            "responses": {"/version": scenario("healthy")["responses"]["/version"]},
        },
        tmp_path,
    )["RRSA"]
    assert forbidden.status == "warn"  # the discovery document may be closed to users; the console shows RRSA


def test_a_managed_scheduler_is_a_warning_with_the_minimum(staging_plan: StackPlan, tmp_path: Path) -> None:
    empty = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []}
    path = "/api/v1/namespaces/kube-system/pods?labelSelector=component=kube-scheduler"
    row = run_data(staging_plan, healthy_with({path: {"status": 200, "body": empty}}), tmp_path)["kube-scheduler"]
    assert row.status == "warn"
    assert "runs it in the managed control plane" in row.found and ">= 6.2 for ResourcePolicy spec.matchLabelKeys" in row.found
    assert row.fix.endswith("it must be 6.2 or later")


@pytest.mark.parametrize(("tag", "status"), [("v1.28.15-aliyun-6.2.0.aaaa", "pass"), ("v1.28.15-aliyun-6.1.5.bbbb", "fail")])
def test_the_scheduler_edge(staging_plan: StackPlan, tmp_path: Path, tag: str, status: str) -> None:
    path = "/api/v1/namespaces/kube-system/pods?labelSelector=component=kube-scheduler"
    pods = fixture_body(path)
    pods["items"][0]["spec"]["containers"][0]["image"] = f"registry-vpc.cn-hangzhou.aliyuncs.com/acs/kube-scheduler:{tag}"
    assert (
        run_data(staging_plan, healthy_with({path: {"status": 200, "body": pods}}), tmp_path)["kube-scheduler"].status == status
    )


def test_an_old_cluster_and_old_csi_fail_with_their_reasons(rrsa_plan: StackPlan, tmp_path: Path) -> None:
    version = {**fixture_body("/version"), "gitVersion": "v1.25.15-aliyun.1", "minor": "25"}
    csi = fixture_body("/apis/apps/v1/namespaces/kube-system/daemonsets/csi-plugin")
    csi["spec"]["template"]["spec"]["containers"][1]["image"] = (
        "registry-vpc.cn-hangzhou.aliyuncs.com/acs/csi-plugin:v1.30.3-aaaaaaa-aliyun"
    )
    checks = run_data(
        rrsa_plan,
        healthy_with(
            {
                "/version": {"status": 200, "body": version},
                "/apis/apps/v1/namespaces/kube-system/daemonsets/csi-plugin": {"status": 200, "body": csi},
            }
        ),
        tmp_path,
    )
    assert checks["cluster version"].found == "v1.25.15-aliyun.1, below >= 1.26 for OSS volume with RRSA"
    assert checks["cluster version"].fix == "upgrade the cluster to 1.26 or later"
    assert (checks["csi-plugin"].status, checks["csi-provisioner"].status) == ("fail", "pass")


def test_apiservice_absent_before_the_first_up_is_a_warning(staging_plan: StackPlan, tmp_path: Path) -> None:
    deployments = fixture_body(KUBE_SYSTEM_DEPLOYMENTS)
    deployments["items"] = [d for d in deployments["items"] if d["metadata"]["name"] != "alibaba-cloud-metrics-adapter"]
    checks = run_data(
        staging_plan, healthy_with({APISERVICE: None, KUBE_SYSTEM_DEPLOYMENTS: {"status": 200, "body": deployments}}), tmp_path
    )
    assert checks["APIService v1beta1.external.metrics.k8s.io"].status == "warn"
    assert checks["add-on ack-alibaba-cloud-metrics-adapter"].found == "not installed; pulumi up installs it (1.3.3)"


def test_an_unavailable_apiservice_fails_with_its_reason(staging_plan: StackPlan, tmp_path: Path) -> None:
    service = fixture_body(APISERVICE)
    service["status"]["conditions"][0].update(
        status="False", reason="FailedDiscoveryCheck", message="failing or missing response from https://172.16.2.9:443"
    )
    row = run_data(staging_plan, healthy_with({APISERVICE: {"status": 200, "body": service}}), tmp_path)[
        "APIService v1beta1.external.metrics.k8s.io"
    ]
    assert (row.status, row.found) == (
        "fail",
        "registered but not available: failing or missing response from https://172.16.2.9:443",
    )


def test_log_collection_into_another_logstore_fails(staging_plan: StackPlan, tmp_path: Path) -> None:
    path = "/apis/log.alibabacloud.com/v1alpha1/namespaces/kube-system/aliyunlogconfigs/k8s-nginx-ingress"
    config = fixture_body(path)
    config["spec"]["logstore"] = "ingress-access"
    row = run_data(staging_plan, healthy_with({path: {"status": 200, "body": config}}), tmp_path)[
        "ingress log collection (k8s-nginx-ingress)"
    ]
    assert (row.status, row.found) == ("fail", "logstore 'ingress-access', the stack reads 'nginx-ingress'")
    missing = run_data(staging_plan, healthy_with({path: None}), tmp_path)["ingress log collection (k8s-nginx-ingress)"]
    assert (
        missing.status == "fail"
        and missing.fix == "enable Ingress log collection on the cluster, or set createIngressLogConfig: true"
    )


@pytest.mark.parametrize(
    ("labels", "status", "found"),
    [
        ({"app.kubernetes.io/managed-by": "pulumi"}, "pass", "exists, created by Pulumi (an earlier pulumi up)"),
        ({}, "warn", "exists, and this stack creates it (createNamespace): pulumi up would fail on the existing one"),
    ],
)
def test_an_existing_namespace_the_stack_creates(
    staging_plan: StackPlan, tmp_path: Path, labels: dict[str, str], status: str, found: str
) -> None:
    namespace = {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "inference", "labels": labels},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    row = run_data(staging_plan, healthy_with({"/api/v1/namespaces/inference": {"status": 200, "body": namespace}}), tmp_path)[
        "namespace inference"
    ]
    assert (row.status, row.found) == (status, found)


def test_an_empty_metric_is_a_warning(staging_plan: StackPlan, tmp_path: Path) -> None:
    [path] = [p for p in scenario("healthy")["responses"] if "/sls_ingress_qps?" in p]
    empty = {**fixture_body(path), "items": []}
    row = run_data(staging_plan, healthy_with({path: {"status": 200, "body": empty}}), tmp_path)[
        "metric sls_ingress_qps (fashion-mnist-hpa)"
    ]
    assert row.status == "warn" and row.found.startswith("answers, with no value yet for sls.ingress.route=")


def test_dev_on_a_healthy_cluster_compares_its_elastic_workload(tmp_path: Path) -> None:
    raw, secret_keys = render_config("dev", project_dir=ROOT)
    plan = build_plan("dev", load(raw, secret_keys, ROOT), ROOT)
    rows, stub = run(plan, "healthy-dev", tmp_path)
    assert [(r.check, r.status) for r in rows] == [
        ("cluster version", "pass"),
        ("namespace default", "pass"),
        ("virtual node (ack-virtual-node)", "pass"),
        ("add-on seldon-core", "pass"),
        ("add-on ack-kubernetes-elastic-workload", "pass"),
        ("add-on ack-alibaba-cloud-metrics-adapter", "pass"),
        ("CRD SeldonDeployment", "pass"),
        ("CRD ElasticWorkload", "pass"),
        ("csi-plugin", "pass"),  # the source Deployment's pods mount the volume on a node
        ("APIService v1beta1.external.metrics.k8s.io", "pass"),
        ("metric sls_ingress_qps (fashion-mnist-eci-hpa)", "pass"),
        ("ingress log collection (k8s-nginx-ingress)", "pass"),
        ("rollout of ElasticWorkload fashion-mnist-eci-ew", "pass"),
    ]  # accessKey and elasticWorkload: no RRSA, csi-provisioner or scheduler rows
    assert by_check(rows)["cluster version"].found == "v1.28.15-aliyun.1 (needs >= 1.23)"
    assert (
        "ack-kubernetes-elastic-workload:v0.1.3-47b5a9c-aliyun" in by_check(rows)["add-on ack-kubernetes-elastic-workload"].found
    )
    assert not any("openid" in path or "kube-scheduler" in path for _, path in stub.requests)


@pytest.fixture(scope="module")
def prod_plan() -> StackPlan:
    raw, secret_keys = render_config("prod", project_dir=ROOT)
    return build_plan("prod", load(raw, secret_keys, ROOT), ROOT)


def test_prod_on_a_healthy_cluster_checks_kserve(prod_plan: StackPlan, tmp_path: Path) -> None:
    rows, _ = run(prod_plan, "healthy-prod", tmp_path)
    assert [(r.check, r.status) for r in rows] == [
        ("cluster version", "pass"),
        ("namespace inference", "pass"),
        ("virtual node (ack-virtual-node)", "pass"),
        ("add-on ack-kubernetes-elastic-workload", "pass"),
        ("add-on ack-alibaba-cloud-metrics-adapter", "pass"),
        ("add-on kserve-crd", "pass"),
        ("add-on kserve", "pass"),
        ("CRD InferenceService", "pass"),
        ("CRD ElasticWorkload", "pass"),
        ("APIService v1beta1.external.metrics.k8s.io", "pass"),
        ("metric sls_ingress_qps (fashion-mnist-hpa)", "pass"),
        ("ingress log collection (k8s-nginx-ingress)", "pass"),
        ("rollout of ElasticWorkload fashion-mnist-ew", "warn"),  # the namespace is new: no unit Deployment yet
    ]  # no Seldon; all units on ECI with the instance's RAM role: no CSI or RRSA rows
    assert by_check(rows)["add-on kserve"].found == (
        "kserve-controller-manager kserve/kserve-controller:v0.20.0 (needs >= v0.16.0)"
    )


@pytest.mark.parametrize(
    ("tag", "status", "fix"),
    [("v0.16.0", "pass", ""), ("v0.15.2", "warn", "pulumi up upgrades it to v0.20.0")],  # the stack pins v0.20.0
)
def test_the_kserve_edge(prod_plan: StackPlan, tmp_path: Path, tag: str, status: str, fix: str) -> None:
    data = scenario("healthy-prod")
    path = "/apis/apps/v1/namespaces/kserve/deployments"
    body = json.loads(json.dumps(data["responses"][path]["body"]))
    body["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"] = f"kserve/kserve-controller:{tag}"
    data["responses"] = {**data["responses"], path: {"status": 200, "body": body}}
    row = run_data(prod_plan, data, tmp_path)["add-on kserve"]
    assert (row.status, row.fix) == (status, fix)


UNIT_PATH = "/apis/apps/v1/namespaces/default/deployments"


def _dev_units(strategies: list[Any], owned: bool = True) -> dict[str, Any]:
    source = "fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu"
    items = []
    for i, strategy in enumerate(strategies, start=1):
        meta: dict[str, Any] = {"name": f"{source}-unit-virtual-kubelet-{i}", "namespace": "default"}
        if owned:
            meta["ownerReferences"] = [
                {"apiVersion": "autoscaling.alibabacloud.com/v1beta1", "kind": "ElasticWorkload", "name": "fashion-mnist-eci-ew"}
            ]
        items.append({"metadata": meta, "spec": {"strategy": strategy}})
    return {"status": 200, "body": {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": items}}


@pytest.mark.parametrize(
    ("strategies", "owned", "status"),
    [
        # maxUnavailable 0, as an int, a string or a percent: no pod leaves before its replacement is Ready.
        ([{"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}], True, "pass"),
        ([{"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "0%", "maxSurge": 1}}], False, "pass"),
        # Kubernetes' default (25 %), one pod, and Recreate all take pods away first.
        (
            [
                {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
                {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}},
            ],
            True,
            "fail",
        ),
        ([{"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}], True, "fail"),
        ([{"type": "Recreate"}], True, "fail"),
        ([], True, "warn"),
    ],
)
def test_the_elastic_workload_units_roll_without_dropping_pods(
    strategies: list[Any], owned: bool, status: str, tmp_path: Path
) -> None:
    raw, secret_keys = render_config("dev", project_dir=ROOT)
    plan = build_plan("dev", load(raw, secret_keys, ROOT), ROOT)
    data = scenario("healthy-dev")
    data["responses"][UNIT_PATH] = _dev_units(strategies, owned)
    row = run_data(plan, data, tmp_path)["rollout of ElasticWorkload fashion-mnist-eci-ew"]
    assert row.status == status, row
    if status == "fail":
        assert "maxUnavailable not 0" in row.found and "canary" in row.fix


def test_a_resource_policy_stack_has_no_elastic_rollout_row(tmp_path: Path) -> None:
    raw, secret_keys = render_config("staging", project_dir=ROOT)
    plan = build_plan("staging", load(raw, secret_keys, ROOT), ROOT)
    rows, stub = run(plan, "healthy", tmp_path)
    assert not any(r.check.startswith("rollout of") for r in rows)
    assert ("GET", "/apis/apps/v1/namespaces/inference/deployments") not in stub.requests
