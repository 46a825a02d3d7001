"""What the operators, the API server and ECI will do with what we render (issue 8), checked on every stack."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from components.naming import KSERVE_CONTAINER, PROXY_CONTAINER, SERVING_CONTAINER
from stackconfig import PROJECT, ConfigError, eci_specs
from stackconfig.addons import CATALOG, CRONHPA, KSERVE, KSERVE_CRD, METRICS_ADAPTER, SELDON, VIRTUAL_NODE
from stackconfig.models import SELDON_EXECUTOR_CPU, SELDON_EXECUTOR_MEMORY
from stackconfig.types import quantity_value
from tests.conftest import ISVC, SERVERS, STACKS, run_config, server_pod, stack_config, validated, with_server
from tools.mockrun import Registered, Run

P = PROJECT
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
NAMESPACE = "kubernetes:core/v1:Namespace"
MANAGED_ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"
RELEASE = "kubernetes:helm.sh/v3:Release"
MODES = ["elasticWorkload", "resourcePolicy"]
USE_SPECS = "k8s.aliyun.com/eci-use-specs"
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "ImageCache"}

EXECUTOR_CPU = Decimal("0.5")
EXECUTOR_MEMORY = Decimal(512 * 2**20)
"""The executor container (``seldon-container-engine``) the Seldon operator adds to every predictor pod: seldon-core
v1.17.1, ``helm-charts/seldon-core-operator/values.yaml``, ``executor.resources`` (requests and limits 0.5 CPU,
512Mi). ECI sizes a pod by the sum of its containers, so it counts."""


def in_mode(stack: str, mode: str, server: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """A stack's config in a scaling mode, with every model on ``server`` (or as the stack file has it)."""
    config, secret_keys = stack_config(stack)
    if server is not None:
        config = with_server(config, server)
    config[f"{P}:scalingMode"] = mode
    return config, secret_keys


def by_name(run: Run, type_: str, name: str) -> Registered:
    (found,) = [r for r in run.of_type(type_) if r.inputs["metadata"]["name"] == name]
    return found


def pod(sdep: Registered) -> dict[str, Any]:
    spec: dict[str, Any] = sdep.inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    return spec


# --------------------------------------------------------------------------------------------------- Seldon's replicas


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_the_seldon_deployment_leaves_the_replica_count_to_the_autoscaler(stack: str, mode: str) -> None:
    """The Seldon operator 1.17.1 rule, read in SeldonIO/seldon-core at tag v1.17.1,
    ``operator/controllers/seldondeployment_controller.go``:

    - ``createComponents``, lines 515-527: unless Seldon owns an HPA (``hpaSpec``) or KEDA object (``kedaSpec``), the
      Deployment's ``spec.replicas`` is set from the componentSpec's, else the predictor's, else the
      SeldonDeployment's ``replicas``;
    - ``createDeployments``, lines 1714-1757: replica differences are ignored only in that HPA/KEDA case; otherwise the
      desired spec is copied over the live Deployment (``found.Spec = deploy.Spec``), and only when ``replicas`` is
      absent everywhere is the live count kept (``deploy.Spec.Replicas == nil``);
    - ``SetupWithManager``: ``Owns(&appsv1.Deployment{})``, so every change the HPA or the ElasticWorkload makes to
      the Deployment triggers a reconcile that would undo it.

    So the SeldonDeployment sets ``replicas`` at no level and owns no HPA or KEDA object: our HPA (through the
    ElasticWorkload, or directly in resourcePolicy mode) owns the count.
    """
    run = run_config(*in_mode(stack, mode, "seldon"), stack=stack)
    sdeps = run.of_type(SDEP)
    assert sdeps
    for sdep in sdeps:
        spec = sdep.inputs["spec"]
        assert "replicas" not in spec, sdep.urn
        for predictor in spec["predictors"]:
            assert "replicas" not in predictor, sdep.urn
            for component in predictor["componentSpecs"]:
                assert not {"replicas", "hpaSpec", "kedaSpec"} & set(component), sdep.urn


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_the_inference_service_leaves_the_replica_count_to_the_autoscaler(stack: str, mode: str) -> None:
    """KServe v0.20.0 (kserve/kserve tag v0.20.0):

    - ``reconcilers/deployment/deployment_reconciler.go``: ``createRawDefaultDeployment`` sets ``spec.replicas`` from
      ``minReplicas`` only when the autoscaler class is ``none``; ``checkDeploymentExist`` ignores ``Replicas`` for
      every other class, and ``Reconcile`` drops it from its patch;
    - ``reconcilers/hpa/hpa_reconciler.go``: the default class ``hpa`` creates an HPA of its own; ``shouldDeleteHPA``
      removes one it owns for ``external``;
    - ``pkg/constants/constants.go``: ``Standard`` is the raw Deployment mode; the chart's default is Knative.

    So the InferenceService is annotated Standard and external, and sets neither ``minReplicas`` nor ``maxReplicas``.
    """
    run = run_config(*in_mode(stack, mode, "kserve"), stack=stack)
    isvcs = run.of_type(ISVC)
    assert isvcs and not run.of_type(SDEP)
    for isvc in isvcs:
        assert isvc.inputs["metadata"]["annotations"] == {
            "serving.kserve.io/deploymentMode": "Standard",
            "serving.kserve.io/autoscalerClass": "external",
        }
        assert isvc.inputs["metadata"]["labels"]["networking.kserve.io/visibility"] == "cluster-local"
        assert not {"minReplicas", "maxReplicas", "scaleTarget", "scaleMetric", "autoScaling"} & set(
            isvc.inputs["spec"]["predictor"]
        ), isvc.urn


@pytest.mark.parametrize("stack", STACKS)
def test_the_elastic_workload_starts_at_the_hpa_minimum_and_pulumi_lets_go(stack: str) -> None:
    run = run_config(*in_mode(stack, "elasticWorkload"), stack=stack)
    for model, out in run.outputs.items():
        ew = by_name(run, EW, out["elasticWorkloadName"])
        hpa = by_name(run, HPA, out["hpaName"])
        assert ew.inputs["spec"]["replicas"] == hpa.inputs["spec"]["minReplicas"], model
        assert "spec.replicas" in ew.ignore_changes, model


def test_the_start_follows_min_replicas() -> None:
    config, secret_keys = stack_config("prod")
    config[f"{P}:models"][0]["minReplicas"] = 3
    run = run_config(config, secret_keys, "prod")
    assert run.one(EW).inputs["spec"]["replicas"] == run.one(HPA).inputs["spec"]["minReplicas"] == 3


# --------------------------------------------------------------------------------------------------- probes


def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in pod["containers"] if c["name"] == name]
    assert len(found) == 1, name
    return found[0]


def _probes(run: Run, stack_model: Any) -> None:
    out = run.outputs[stack_model.name]
    pod = server_pod(run, out)
    serving = _container(pod, SERVING_CONTAINER if stack_model.server == "seldon" else KSERVE_CONTAINER)
    path = f"/v1/models/{stack_model.name}/versions/{stack_model.version}/metadata"
    for probe in ("startupProbe", "readinessProbe"):
        assert serving[probe]["httpGet"] == {"path": path, "port": 8501}, probe
    startup = serving["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] >= stack_model.model_load_timeout_seconds
    assert f"--rest_api_port={8501}" in serving["args"]
    assert "--model_config_file=/run/tfserving/models.config" in serving["args"]
    config = {e["name"]: e["value"] for e in serving["env"]}["TF_MODEL_SERVER_CONFIG"]
    assert f'name: "{stack_model.name}"' in config
    assert f"model_version_policy {{ specific {{ versions: {stack_model.version} }} }}" in config
    if stack_model.server == "seldon":
        proxy = _container(pod, PROXY_CONTAINER)
        assert proxy["readinessProbe"]["httpGet"] == {"path": "/health/ping", "port": 9000}
    else:
        assert [c["name"] for c in pod["containers"]] == [KSERVE_CONTAINER]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("stack", STACKS)
def test_tf_serving_is_ready_only_with_the_model_version_loaded(stack: str, server: str) -> None:
    config, secret_keys = stack_config(stack)
    config = with_server(config, server)
    run = run_config(config, secret_keys, stack)
    for model in validated(config, secret_keys).models:
        _probes(run, model)


def test_the_startup_budget_follows_model_load_timeout_seconds() -> None:
    config, secret_keys = stack_config("dev")
    config[f"{P}:models"][0].update({"modelLoadTimeoutSeconds": 1805, "version": 1})
    model = validated(config, secret_keys).models[0]
    assert model.model_load_timeout_seconds == 1805
    run = run_config(config, secret_keys, "dev")
    _probes(run, model)
    startup = _container(pod(run.one(SDEP)), SERVING_CONTAINER)["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] < 1805 + startup["periodSeconds"], "no more than needed"


# --------------------------------------------------------------------------------------------------- ECI specs


def _specs_of(run: Run, out: dict[str, Any]) -> list[list[str]]:
    """The ECI instance types each unit of one model lists (ECS node-pool units list none)."""
    if "elasticWorkloadName" in out:
        units = by_name(run, EW, out["elasticWorkloadName"]).inputs["spec"]["elasticUnit"]
        annotations = [u.get("annotations", {}) for u in units]
    else:
        units = by_name(run, RP, out["resourcePolicyName"]).inputs["spec"]["units"]
        annotations = [u.get("podAnnotations", {}) for u in units]
    return [a[USE_SPECS].split(",") for a in annotations if USE_SPECS in a]


def _pod_requests(pod: dict[str, Any], seldon: bool = True) -> tuple[Decimal, Decimal, int]:
    """The pod's summed CPU, memory (bytes) and GPU requests, Seldon's executor included where Seldon serves (KServe
    v0.20.0 adds no container to a custom predictor without a logger, batcher or storage URI)."""
    cpu, memory, gpus = (EXECUTOR_CPU, EXECUTOR_MEMORY, 0) if seldon else (Decimal(0), Decimal(0), 0)
    for c in pod["containers"]:
        requests = c["resources"]["requests"]
        cpu += quantity_value(str(requests["cpu"]))
        memory += quantity_value(str(requests["memory"]))
        gpus += int(requests.get("nvidia.com/gpu", 0))
    return cpu, memory, gpus


def test_the_executor_is_counted_as_seldon_sizes_it() -> None:
    assert quantity_value(SELDON_EXECUTOR_CPU) == EXECUTOR_CPU
    assert quantity_value(SELDON_EXECUTOR_MEMORY) == EXECUTOR_MEMORY


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_fits_every_spec_its_units_list(stack: str, mode: str, server: str) -> None:
    run = run_config(*in_mode(stack, mode, server), stack=stack)
    table = eci_specs.table()
    checked = 0
    for model, out in run.outputs.items():
        cpu, memory, gpus = _pod_requests(server_pod(run, out), seldon=server == "seldon")
        assert gpus >= 1, model
        for specs in _specs_of(run, out):
            for spec in specs:
                assert spec in table, f"{model}: {spec} is not in stackconfig/eci_gpu_specs.yaml"
                assert eci_specs.misfits(table[spec], cpu, memory, gpus) == [], (model, spec)
                checked += 1
    assert checked > 0


def test_the_defaults_fit_the_seed_spec_exactly() -> None:
    config, secret_keys = stack_config("dev")
    model = config[f"{P}:models"][0]
    assert not {"cpu", "memory", "proxyCpu", "proxyMemory"} & set(model), "dev runs on the defaults"
    run = run_config(config, secret_keys, "dev")
    cpu, memory, gpus = _pod_requests(pod(run.one(SDEP)))
    seed = eci_specs.table()["ecs.gn6i-c4g1.xlarge"]
    assert (cpu, gpus) == (Decimal(4), 1) and cpu == seed.vcpu
    assert memory <= seed.memory_gib * 2**30
    assert eci_specs.misfits(seed, cpu + Decimal("0.5"), memory, gpus) != [], "half a vCPU more would not fit"


# --------------------------------------------------------------------------------------------------- add-ons


def _addons(run: Run) -> dict[str, Registered]:
    return {r.inputs["name"]: r for r in run.of_type(MANAGED_ADDON) + run.of_type(RELEASE)}


@pytest.mark.parametrize("stack", STACKS)
def test_the_virtual_node_releases_its_eci_resources_on_destroy(stack: str) -> None:
    addon = _addons(run_config(*stack_config(stack), stack=stack))[VIRTUAL_NODE]
    assert addon.type == MANAGED_ADDON
    assert addon.inputs["cleanupCloudResources"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_the_catalog_versions_reach_the_resources(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    installed = _addons(run_config(config, secret_keys, stack))
    wanted = [a for a in validated(config, secret_keys).installed_addons if a.enabled]
    assert {a.name for a in wanted} == set(installed)
    for addon in wanted:
        entry = CATALOG[addon.name]
        assert installed[addon.name].inputs.get("version") == entry.version, addon.name
    pinned = {name: CATALOG[name].version for name in (SELDON, METRICS_ADAPTER, KSERVE_CRD, KSERVE)}
    assert pinned == {SELDON: "1.17.1", METRICS_ADAPTER: "1.3.3", KSERVE_CRD: "v0.20.0", KSERVE: "v0.20.0"}
    servers = {m.server for m in validated(config, secret_keys).models}
    expected = (
        {METRICS_ADAPTER}
        | ({SELDON} if "seldon" in servers else set())
        | ({KSERVE_CRD, KSERVE} if "kserve" in servers else set())
    )
    assert expected <= set(installed)
    assert not ({SELDON, KSERVE_CRD, KSERVE} - expected) & set(installed)
    assert {n: installed[n].inputs["version"] for n in expected} == {n: pinned[n] for n in expected}


def test_the_cronhpa_controller_is_pinned_where_schedules_need_it() -> None:
    installed = _addons(run_config(*stack_config("staging"), stack="staging"))
    assert installed[CRONHPA].inputs["version"] == CATALOG[CRONHPA].version == "v1.4.4-d9f7d25-aliyun"


def test_an_unpinned_add_on_says_why_and_takes_the_version_from_config() -> None:
    unpinned = {name: entry for name, entry in CATALOG.items() if entry.version is None}
    assert unpinned, "every add-on pinned: then this test has nothing to check"
    for name, entry in unpinned.items():
        assert "pin" in entry.version_source.lower() and "in config" in entry.version_source, name
    for name, entry in CATALOG.items():
        assert entry.version_source.strip(), f"{name}: where its version comes from is not said"
    config, secret_keys = stack_config("dev")
    config[f"{P}:addons"] = {name: {"version": "2.11.0"} for name in unpinned}
    installed = _addons(run_config(config, secret_keys, "dev"))
    assert {name: installed[name].inputs["version"] for name in unpinned} == dict.fromkeys(unpinned, "2.11.0")


# --------------------------------------------------------------------------------------------------- the namespace


@pytest.mark.parametrize("stack", STACKS)
def test_a_non_default_namespace_is_created_first(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    run = run_config(config, secret_keys, stack)
    namespace = config.get(f"{P}:namespace", "default")
    created = run.of_type(NAMESPACE)
    if namespace == "default":
        assert created == []
        dependency = None
    else:
        (ns,) = created
        assert ns.inputs["metadata"]["name"] == namespace
        dependency = ns.urn
    namespaced = 0
    for r in run.resources:
        manifest = r.kubernetes_manifest
        if manifest is None:
            continue
        if manifest["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in manifest["metadata"], r.urn
            continue
        assert manifest["metadata"]["namespace"] == namespace, r.urn
        if dependency is not None:
            assert dependency in r.dependencies, f"{r.urn} does not wait for the namespace"
        namespaced += 1
    assert namespaced >= 5


def test_staging_and_prod_serve_from_their_own_namespace() -> None:
    for stack in ("staging", "prod"):
        run = run_config(*stack_config(stack), stack=stack)
        assert run.one(NAMESPACE).inputs["metadata"]["name"] == "inference"


def test_an_existing_namespace_is_only_named() -> None:
    config, secret_keys = stack_config("prod")
    config[f"{P}:createNamespace"] = False
    run = run_config(config, secret_keys, "prod")
    assert run.of_type(NAMESPACE) == []
    assert run.one(ISVC).inputs["metadata"]["namespace"] == "inference"


def test_creating_the_default_namespace_is_refused() -> None:
    config, secret_keys = stack_config("dev")
    config[f"{P}:createNamespace"] = True
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert caught.value.problems == [
        f"{P}:createNamespace = True: namespace 'default' always exists; set createNamespace to false"
    ]
