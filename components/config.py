"""Stack configuration: read once in the program, validated into frozen dataclasses.

Every problem is collected before anything is raised, so one run lists every mistake in the stack file.
Components never read configuration; they receive pieces of :class:`StackConfig`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from components.naming import MAX_NAME, PROXY_CONTAINER, SELDON_HTTP_PORT, SERVING_CONTAINER, seldon_names, sls_route
from components.schedule import ScheduleError, to_controller_zone, zone

PROJECT = "eci-inference"
"""The Pulumi project name; config keys are namespaced by it (``eci-inference:clusterId``)."""

SPOT_STRATEGIES = ("SpotAsPriceGo", "SpotWithPriceLimit")
SCALING_MODES = ("elasticWorkload", "resourcePolicy")
UNIT_RESOURCES = ("eci", "ecs")
MAX_DEPLOYMENT_NAME = 57
SPOT_NOTICE_SECONDS = 180
"""ECI raises SpotToBeReleased about three minutes before it reclaims a spot instance."""
VOLUME_AUTH_MODES = ("rrsa", "accessKey")
ADDON_KINDS = ("managed", "helm")
ACK_CATALOG_REPO = "https://aliacs-app-catalog.oss-cn-hangzhou.aliyuncs.com/charts-incubator/"
SELDON_CHART_REPO = "https://storage.googleapis.com/seldon-charts"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_CLUSTER_ID = re.compile(r"^c[0-9a-z]{16,48}$")
_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|[KMGTPE]i?)?$")
_ECI_SPEC = re.compile(r"^ecs\.[a-z0-9-]+\.[a-z0-9-]+$")
_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")
_IMAGE = re.compile(r"^[^\s:@]+(:[0-9]+/[^\s:@]+)?(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?$")
_OSS_URI = re.compile(r"^oss://(?P<bucket>[^/]+)/(?P<path>.+?)/?$")
_SECRET_PLACEHOLDER = "[secret]"


class ConfigError(Exception):
    """Raised with every configuration problem at once; the message lists one problem per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class ElasticUnit:
    """One elastic unit: where pods go once the units before it are full."""

    name: str
    specs: tuple[str, ...]
    min: int
    max: int
    spot_strategy: str | None = None
    price_limit: float | None = None
    resource: str = "eci"
    node_pool_id: str | None = None

    @property
    def is_spot(self) -> bool:
        return self.spot_strategy is not None

    @property
    def is_eci(self) -> bool:
        return self.resource == "eci"


@dataclass(frozen=True)
class Schedule:
    """A CronHPA job: from ``cron`` on, the HPA keeps at least ``min_replicas``."""

    name: str
    cron: str
    """Six-field expression in the controller's time zone (what the CronHPA gets)."""
    written: str
    """The expression as written in config, in ``time_zone``."""
    time_zone: str
    min_replicas: int


@dataclass(frozen=True)
class ImageCacheConfig:
    """An ECI ImageCache holding the serving images, so a scale-out does not pull them from the registry."""

    images: tuple[str, ...]
    size_gib: int
    retention_days: int | None


@dataclass(frozen=True)
class ModelSource:
    """Where the SavedModel comes from: a local directory to upload, or an ``oss://`` URI that holds it."""

    local_dir: Path | None
    bucket: str | None
    path: str | None


@dataclass(frozen=True)
class ModelConfig:
    """One served model: its source, its server, its scaling and its route."""

    name: str
    deployment_name: str
    version: int
    source: ModelSource
    predictor_name: str
    proxy_image: str
    serving_image: str
    gpu: int
    cpu: str
    memory: str
    proxy_cpu: str
    proxy_memory: str
    replicas: int
    source_min: int
    source_max: int
    units: tuple[ElasticUnit, ...]
    min_replicas: int
    max_replicas: int
    target_qps: int
    scale_up_stabilization_seconds: int
    scale_down_stabilization_seconds: int
    host: str | None
    tls_secret: str | None
    volume_size: str
    former_names: tuple[str, ...]
    schedules: tuple[Schedule, ...] = ()
    termination_grace_seconds: int = 30
    pre_stop_seconds: int = 10
    pdb_max_unavailable: int | None = 1
    pdb_min_available: int | None = None
    spot_protection_hours: int = 1
    spot_graceful_eviction: bool = True
    image_cache: ImageCacheConfig | None = None


@dataclass(frozen=True)
class AddonConfig:
    """An ACK add-on: a managed add-on (``alicloud.cs.KubernetesAddon``) or a chart from ACK's catalog."""

    name: str
    enabled: bool
    kind: str
    version: str | None
    chart: str
    repo: str
    namespace: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StackConfig:
    """The whole validated stack configuration."""

    cluster_id: str
    region: str
    kubeconfig_set: bool
    namespace: str
    bucket: str
    create_bucket: bool
    protect_bucket: bool
    model_prefix: str
    oss_endpoint: str
    volume_auth: str
    rrsa_role_name: str | None
    sls_project: str
    sls_logstore: str
    ingress_class: str | None
    addons: tuple[AddonConfig, ...]
    models: tuple[ModelConfig, ...]
    scaling_mode: str = "elasticWorkload"
    cron_controller_time_zone: str = "UTC"
    secret_keys: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class KeySpec:
    """A top-level config key as declared in ``Pulumi.yaml``."""

    type: str
    description: str
    default: Any = None
    secret: bool = False
    required: bool = False


TOP_LEVEL_KEYS: dict[str, KeySpec] = {
    "clusterId": KeySpec("string", "Id of the existing ACK cluster (c + hex).", required=True),
    "region": KeySpec("string", "Alibaba Cloud region of the cluster and the bucket, e.g. cn-beijing.", required=True),
    "kubeconfig": KeySpec(
        "string", "Kubeconfig for the cluster; when unset the cluster's credential is fetched from ACK.", secret=True
    ),
    "namespace": KeySpec("string", "Namespace of the serving objects.", default="default"),
    "bucket": KeySpec("string", "OSS bucket that holds the models (created unless createBucket is false).", required=True),
    "createBucket": KeySpec(
        "boolean", "Create the bucket (private, encrypted, versioned); false uses an existing one.", default=True
    ),
    "protectBucket": KeySpec("boolean", "Protect the created bucket from deletion by Pulumi.", default=True),
    "modelPrefix": KeySpec(
        "string", "Object prefix under which local models are uploaded: <prefix>/<model>/<version>/.", default="models"
    ),
    "ossEndpoint": KeySpec("string", "OSS endpoint the CSI driver mounts from; default oss-<region>-internal.aliyuncs.com."),
    "volumeAuth": KeySpec(
        "string", "How the OSS volume authenticates: rrsa (pod identity) or accessKey (Kubernetes Secret).", default="rrsa"
    ),
    "rrsaRoleName": KeySpec("string", "RAM role the OSS CSI driver assumes when volumeAuth is rrsa."),
    "ossAccessKeyId": KeySpec("string", "AccessKey id for the OSS volume when volumeAuth is accessKey.", secret=True),
    "ossAccessKeySecret": KeySpec("string", "AccessKey secret for the OSS volume when volumeAuth is accessKey.", secret=True),
    "slsProject": KeySpec("string", "Log project holding the ingress logs; default k8s-log-<clusterId>."),
    "slsLogstore": KeySpec("string", "Logstore of the ingress access logs.", default="nginx-ingress"),
    "ingressClass": KeySpec("string", "IngressClass of the Ingress objects.", default="nginx"),
    "scalingMode": KeySpec(
        "string",
        "elasticWorkload (an ElasticWorkload over the Seldon Deployment) or resourcePolicy (ACK's ResourcePolicy scheduling).",
        default="elasticWorkload",
    ),
    "cronControllerTimeZone": KeySpec(
        "string", "Time zone ack-kubernetes-cronhpa-controller runs in; schedules are translated into it.", default="UTC"
    ),
    "addons": KeySpec("object", "Per add-on overrides: {<add-on>: {enabled, kind, version, chart, repo, namespace, values}}."),
    "models": KeySpec("object", "The served models: a list of model objects (see README).", required=True),
}
"""Every top-level key. ``object`` keys cannot be typed in ``Pulumi.yaml`` (Pulumi's schema has no object type)."""

MODEL_KEYS: dict[str, Any] = {
    "name": None,
    "deploymentName": None,
    "version": 1,
    "source": None,
    "predictorName": "predictor",
    "proxyImage": "registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest:1.3.0",
    "servingImage": "tensorflow/serving:2.3.0-gpu",
    "gpu": 1,
    "cpu": "4",
    "memory": "12Gi",
    "proxyCpu": "0.5",
    "proxyMemory": "512Mi",
    "replicas": 1,
    "sourceMin": 0,
    "sourceMax": 1,
    "units": None,
    "minReplicas": 1,
    "maxReplicas": 10,
    "targetQps": 10,
    "scaleUpStabilizationSeconds": 0,
    "scaleDownStabilizationSeconds": 300,
    "host": None,
    "tlsSecret": None,
    "volumeSize": "5Gi",
    "formerNames": [],
    "schedules": [],
    "terminationGracePeriodSeconds": 30,
    "preStopSeconds": 10,
    "pdbMaxUnavailable": None,
    "pdbMinAvailable": None,
    "spotProtectionHours": 1,
    "spotGracefulEviction": True,
    "imageCache": None,
}
"""Keys of one entry of ``models`` with their defaults (``None``: required or optional without default)."""

MODEL_REQUIRED = ("name", "source", "units")
UNIT_KEYS = ("name", "resource", "specs", "nodePoolId", "min", "max", "spotStrategy", "priceLimit")
UNIT_REQUIRED = ("name", "max")
SCHEDULE_KEYS = ("name", "cron", "timeZone", "minReplicas")
IMAGE_CACHE_KEYS = ("images", "sizeGiB", "retentionDays")
ADDON_KEYS = ("enabled", "kind", "version", "chart", "repo", "namespace", "values")

DEFAULT_ADDONS: dict[str, dict[str, Any]] = {
    "ack-virtual-node": {"kind": "managed", "namespace": "kube-system"},
    "seldon-core": {
        "kind": "helm",
        "chart": "seldon-core-operator",
        "repo": SELDON_CHART_REPO,
        "version": "1.17.1",
        "namespace": "seldon-system",
        "values": {"usageMetrics": {"enabled": False}},
    },
    "ack-kubernetes-elastic-workload": {"kind": "helm", "namespace": "kube-system"},
    "ack-alibaba-cloud-metrics-adapter": {"kind": "helm", "version": "1.3.3", "namespace": "kube-system"},
    "ack-kubernetes-cronhpa-controller": {"kind": "managed", "namespace": "kube-system"},
}
"""The add-ons the recipe needs: ack-virtual-node is an ACK managed add-on; elastic-workload and the metrics adapter
are charts of ACK's catalog; Seldon Core v1 is the operator chart whose CRD ``../shared/schemas`` holds."""

_T = TypeVar("_T")


def _nearest(key: str, allowed: Sequence[str]) -> str:
    match = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


class _Reader:
    """Collects problems while reading raw values; returns ``None`` for a value it could not accept."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, key: str, value: Any, allowed: str) -> None:
        shown = _SECRET_PLACEHOLDER if isinstance(value, _Secret) else repr(value)
        self.problems.append(f"{key} = {shown}: {allowed}")

    def missing(self, key: str, allowed: str) -> None:
        self.problems.append(f"{key} is required: {allowed}")

    def keys(self, key: str, value: Mapping[str, Any], allowed: Sequence[str], required: Sequence[str]) -> None:
        for k in sorted(value):
            if k not in allowed:
                self.problems.append(f"{key}.{k} is not a known key{_nearest(k, allowed)}; allowed: {', '.join(allowed)}")
        for k in required:
            if value.get(k) is None:
                self.missing(f"{key}.{k}", "this key has no default")

    def mapping(self, key: str, value: Any) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problem(key, value, "must be an object")
        return None

    def string(
        self,
        key: str,
        value: Any,
        *,
        pattern: re.Pattern[str] | None = None,
        allowed: str = "",
        choices: Sequence[str] | None = None,
    ) -> str | None:
        shown = value
        if isinstance(value, _Secret):
            value = value.value
        if not isinstance(value, str) or not value:
            self.problem(key, shown, "must be a non-empty string")
            return None
        if choices is not None and value not in choices:
            hint = "" if isinstance(shown, _Secret) else _nearest(value, choices)
            self.problem(key, shown, f"must be one of {', '.join(choices)}{hint}")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(key, shown, allowed)
            return None
        return value

    def integer(self, key: str, value: Any, *, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(key, value, f"must be a whole number >= {minimum}")
            return None
        if isinstance(value, int):
            whole: int | None = value
        else:
            try:
                number = float(value)
            except (ValueError, OverflowError):
                number = math.nan
            whole = int(number) if math.isfinite(number) and number.is_integer() else None
        if whole is None or whole < minimum:
            self.problem(key, value, f"must be a whole number >= {minimum}")
            return None
        return whole

    def number(self, key: str, value: Any, *, exclusive_minimum: float) -> float | None:
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number) or number <= exclusive_minimum:
            self.problem(key, value, f"must be a number > {exclusive_minimum:g}")
            return None
        return number

    def boolean(self, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(key, value, "must be true or false")
        return None

    def quantity(self, key: str, value: Any) -> str | None:
        text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        return self.string(key, text, pattern=_QUANTITY, allowed="must be a Kubernetes quantity such as 500m, 2 or 8Gi")

    def label(self, key: str, value: Any) -> str | None:
        return self.string(key, value, pattern=_DNS_LABEL, allowed="must be a DNS label (lowercase letters, digits, '-')")

    def image(self, key: str, value: Any) -> str | None:
        return self.string(key, value, pattern=_IMAGE, allowed="must be an image reference such as repo/name:tag")

    def min_max(self, key_min: str, lo: int | None, key_max: str, hi: int | None) -> None:
        if lo is not None and hi is not None and lo > hi:
            self.problems.append(f"{key_min} = {lo} is greater than {key_max} = {hi}: the minimum must not exceed the maximum")


@dataclass(frozen=True)
class _Secret:
    value: str


def _or(value: _T | None, fallback: _T) -> _T:
    return fallback if value is None else value


def parse_raw(raw: Mapping[str, str], secret_keys: Sequence[str] = ()) -> dict[str, Any]:
    """Turn Pulumi's raw ``project:key -> text`` config into values (objects decoded from JSON).

    Keys of other namespaces (``alicloud:region``, ``kubernetes:...``) are left out.
    """
    prefix = f"{PROJECT}:"
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        spec = TOP_LEVEL_KEYS.get(key)
        value: Any = text
        if spec is not None and spec.default is None and not spec.required and text == "":
            continue  # Pulumi.yaml declares optional keys with default "" (a declared key without default is required)
        if spec is not None and spec.type in ("object", "integer", "boolean") and isinstance(text, str):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
        if full_key in secret_keys:
            value = _Secret(str(value))
        values[key] = value
    return values


def load(values: Mapping[str, Any], project_dir: Path) -> StackConfig:
    """Validate the config values of one stack; raise :class:`ConfigError` listing every problem."""
    r = _Reader()
    for key in sorted(values):
        if key not in TOP_LEVEL_KEYS:
            r.problems.append(
                f"{PROJECT}:{key} is not a known key{_nearest(key, list(TOP_LEVEL_KEYS))}; allowed: {', '.join(TOP_LEVEL_KEYS)}"
            )
    for key, spec in TOP_LEVEL_KEYS.items():
        if spec.required and values.get(key) is None:
            r.missing(f"{PROJECT}:{key}", spec.description)
        if spec.secret and key in values and not isinstance(values[key], _Secret):
            r.problems.append(f"{PROJECT}:{key} must be set as a secret: pulumi config set --secret {key} <value>")
        if not spec.secret and isinstance(values.get(key), _Secret):
            r.problems.append(
                f"{PROJECT}:{key} is set as a secret, but the program passes it into resources in plain text: "
                f"set it without --secret (only kubeconfig, ossAccessKeyId and ossAccessKeySecret are secrets)"
            )

    def top(key: str) -> Any:
        return values.get(key, TOP_LEVEL_KEYS[key].default)

    def opt_string(key: str, **kw: Any) -> str | None:
        return None if top(key) is None else r.string(f"{PROJECT}:{key}", top(key), **kw)

    cluster_id = opt_string(
        "clusterId", pattern=_CLUSTER_ID, allowed="must be an ACK cluster id: 'c' and 16-48 lowercase letters or digits"
    )
    region = opt_string("region", pattern=_REGION, allowed="must be a region id such as cn-beijing")
    namespace = opt_string("namespace", pattern=_DNS_LABEL, allowed="must be a DNS label (lowercase letters, digits, '-')")
    bucket = opt_string(
        "bucket",
        pattern=_BUCKET,
        allowed="must be an OSS bucket name: 3-63 lowercase letters, digits or '-', not starting or ending with '-'",
    )
    create_bucket = r.boolean(f"{PROJECT}:createBucket", top("createBucket"))
    protect_bucket = r.boolean(f"{PROJECT}:protectBucket", top("protectBucket"))
    model_prefix = opt_string(
        "modelPrefix",
        pattern=re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"),
        allowed="must be an object prefix without leading or trailing '/'",
    )
    oss_endpoint = opt_string(
        "ossEndpoint", pattern=_HOST, allowed="must be a host name such as oss-cn-beijing-internal.aliyuncs.com"
    )
    volume_auth = opt_string("volumeAuth", choices=VOLUME_AUTH_MODES)
    rrsa_role = opt_string("rrsaRoleName", pattern=re.compile(r"^[A-Za-z0-9._-]{1,64}$"), allowed="must be a RAM role name")
    if volume_auth == "rrsa" and top("rrsaRoleName") is None:
        r.missing(f"{PROJECT}:rrsaRoleName", "volumeAuth is rrsa, so the RAM role the CSI driver assumes must be named")
    if volume_auth == "accessKey":
        for key in ("ossAccessKeyId", "ossAccessKeySecret"):
            if top(key) is None:
                r.missing(f"{PROJECT}:{key}", f"volumeAuth is accessKey: pulumi config set --secret {key} <value>")
    if volume_auth == "rrsa":
        for key in ("ossAccessKeyId", "ossAccessKeySecret"):
            if top(key) is not None:
                r.problems.append(f"{PROJECT}:{key} is set but volumeAuth is rrsa: remove it, or set volumeAuth to accessKey")
    sls_project = opt_string(
        "slsProject", pattern=re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"), allowed="must be an SLS project name"
    )
    sls_logstore = opt_string(
        "slsLogstore", pattern=re.compile(r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$"), allowed="must be an SLS logstore name"
    )
    ingress_class = opt_string("ingressClass", pattern=_DNS_LABEL, allowed="must be a DNS label")

    scaling_mode = opt_string("scalingMode", choices=SCALING_MODES)
    cron_zone = opt_string("cronControllerTimeZone")
    if cron_zone is not None:
        try:
            zone(cron_zone)
        except ScheduleError as error:
            r.problem(f"{PROJECT}:cronControllerTimeZone", cron_zone, str(error))
            cron_zone = None
    context = _ModelContext(project_dir=project_dir, scaling_mode=scaling_mode, cron_zone=cron_zone, namespace=namespace)
    models = _read_models(r, values.get("models"), context)
    needed = {"ack-virtual-node", "seldon-core", "ack-alibaba-cloud-metrics-adapter"}
    if scaling_mode == "elasticWorkload":
        needed.add("ack-kubernetes-elastic-workload")
    if any(m.schedules for m in models):
        needed.add("ack-kubernetes-cronhpa-controller")
    addons = _read_addons(r, top("addons"), needed)

    if r.problems:
        raise ConfigError(r.problems)
    assert cluster_id and region and bucket and namespace and volume_auth and sls_logstore and model_prefix
    return StackConfig(
        cluster_id=cluster_id,
        region=region,
        kubeconfig_set=values.get("kubeconfig") is not None,
        namespace=namespace,
        bucket=bucket,
        create_bucket=_or(create_bucket, True),
        protect_bucket=_or(protect_bucket, True),
        model_prefix=model_prefix,
        oss_endpoint=oss_endpoint or f"oss-{region}-internal.aliyuncs.com",
        volume_auth=volume_auth,
        rrsa_role_name=rrsa_role,
        sls_project=sls_project or f"k8s-log-{cluster_id}",
        sls_logstore=sls_logstore,
        ingress_class=ingress_class,
        addons=addons,
        models=models,
        scaling_mode=_or(scaling_mode, "elasticWorkload"),
        cron_controller_time_zone=_or(cron_zone, "UTC"),
        secret_keys=frozenset(k for k, v in values.items() if isinstance(v, _Secret)),
    )


def secret_value(values: Mapping[str, Any], key: str) -> str | None:
    """The plain text of a secret config value, for wrapping in ``pulumi.Output.secret`` only."""
    value = values.get(key)
    return value.value if isinstance(value, _Secret) else None


def _read_addons(r: _Reader, raw: Any, needed: set[str]) -> tuple[AddonConfig, ...]:
    """Every add-on; the ones this stack's mode and schedules do not use are disabled."""
    overrides: Mapping[str, Any] = {}
    if raw is not None:
        overrides = r.mapping(f"{PROJECT}:addons", raw) or {}
    for name in sorted(overrides):
        if name not in DEFAULT_ADDONS:
            r.problems.append(
                f"{PROJECT}:addons.{name} is not an add-on this stack installs{_nearest(name, list(DEFAULT_ADDONS))}; "
                f"allowed: {', '.join(DEFAULT_ADDONS)}"
            )
    result: list[AddonConfig] = []
    for name, defaults in DEFAULT_ADDONS.items():
        key = f"{PROJECT}:addons.{name}"
        given = overrides.get(name, {})
        if not isinstance(given, Mapping):
            r.problem(key, given, "must be an object")
            continue
        r.keys(key, given, ADDON_KEYS, ())
        merged = {**defaults, **given}
        enabled = r.boolean(f"{key}.enabled", merged.get("enabled", True))
        if name not in needed:
            if "enabled" in given and enabled is True:
                r.problem(f"{key}.enabled", True, "this add-on is not used by this stack's scalingMode and schedules")
            enabled = False
        kind = r.string(f"{key}.kind", merged.get("kind"), choices=ADDON_KINDS)
        version = None if merged.get("version") is None else r.string(f"{key}.version", merged["version"])
        chart = r.string(f"{key}.chart", merged.get("chart", name))
        repo = r.string(
            f"{key}.repo",
            merged.get("repo", ACK_CATALOG_REPO),
            pattern=re.compile(r"^(https|oci)://"),
            allowed="must be an https:// or oci:// chart repository",
        )
        ns = r.string(f"{key}.namespace", merged.get("namespace"), pattern=_DNS_LABEL, allowed="must be a DNS label")
        values = r.mapping(f"{key}.values", merged.get("values", {}))
        result.append(
            AddonConfig(
                name=name,
                enabled=_or(enabled, True),
                kind=_or(kind, "managed"),
                version=version,
                chart=_or(chart, name),
                repo=_or(repo, ACK_CATALOG_REPO),
                namespace=_or(ns, "kube-system"),
                values=dict(values or {}),
            )
        )
    return tuple(result)


def _read_list(r: _Reader, key: str, raw: Any, item: Callable[[str, Mapping[str, Any]], _T | None]) -> list[tuple[int, _T]]:
    """The entries that were read, each with its index in the config list (for messages)."""
    if not isinstance(raw, list):
        r.problem(key, raw, "must be a list")
        return []
    if not raw:
        r.problem(key, raw, "must hold at least one entry")
    out: list[tuple[int, _T]] = []
    for i, entry in enumerate(raw):
        entry_key = f"{key}[{i}]"
        mapping = r.mapping(entry_key, entry)
        if mapping is not None:
            parsed = item(entry_key, mapping)
            if parsed is not None:
                out.append((i, parsed))
    return out


def _read_unit(r: _Reader, key: str, raw: Mapping[str, Any]) -> ElasticUnit | None:
    r.keys(key, raw, UNIT_KEYS, UNIT_REQUIRED)
    name = None if raw.get("name") is None else r.label(f"{key}.name", raw["name"])
    specs_raw = raw.get("specs")
    specs: list[str] = []
    if specs_raw is not None:
        items = specs_raw if isinstance(specs_raw, list) else [specs_raw]
        if not items:
            r.problem(f"{key}.specs", specs_raw, "must name at least one ECI instance type")
        for j, spec in enumerate(items):
            ok = r.string(
                f"{key}.specs[{j}]", spec, pattern=_ECI_SPEC, allowed="must be an instance type such as ecs.gn6i-c4g1.xlarge"
            )
            if ok:
                specs.append(ok)
    lo = r.integer(f"{key}.min", raw.get("min", 0), minimum=0)
    hi = None if raw.get("max") is None else r.integer(f"{key}.max", raw["max"], minimum=1)
    r.min_max(f"{key}.min", lo, f"{key}.max", hi)
    strategy = (
        None if raw.get("spotStrategy") is None else r.string(f"{key}.spotStrategy", raw["spotStrategy"], choices=SPOT_STRATEGIES)
    )
    price = None if raw.get("priceLimit") is None else r.number(f"{key}.priceLimit", raw["priceLimit"], exclusive_minimum=0)
    if raw.get("priceLimit") is not None and raw.get("spotStrategy") != "SpotWithPriceLimit":
        r.problem(f"{key}.priceLimit", raw.get("priceLimit"), "a price limit needs spotStrategy: SpotWithPriceLimit")
    if strategy == "SpotWithPriceLimit" and raw.get("priceLimit") is None:
        r.missing(f"{key}.priceLimit", "spotStrategy SpotWithPriceLimit needs the hourly price limit")
    resource = r.string(f"{key}.resource", raw.get("resource", "eci"), choices=UNIT_RESOURCES)
    pool = None
    if resource == "ecs":
        if raw.get("nodePoolId") is None:
            r.missing(f"{key}.nodePoolId", "an ecs unit places pods on the node pool with this id")
        else:
            pool = r.string(
                f"{key}.nodePoolId",
                raw["nodePoolId"],
                pattern=re.compile(r"^np[0-9a-z]+$"),
                allowed="must be a node pool id (np...)",
            )
        for extra in ("specs", "spotStrategy", "priceLimit"):
            if raw.get(extra) is not None:
                r.problem(f"{key}.{extra}", raw[extra], "only an eci unit takes ECI instance types and spot settings")
    elif resource == "eci":
        if raw.get("specs") is None:
            r.missing(f"{key}.specs", "an eci unit names its ECI instance types")
        if raw.get("nodePoolId") is not None:
            r.problem(f"{key}.nodePoolId", raw["nodePoolId"], "only an ecs unit runs on a node pool")
    if name is None or lo is None or hi is None or resource is None or (resource == "eci" and not specs):
        return None
    if resource == "ecs" and pool is None:
        return None
    return ElasticUnit(
        name=name, specs=tuple(specs), min=lo, max=hi, spot_strategy=strategy, price_limit=price, resource=resource,
        node_pool_id=pool,
    )  # fmt: skip


@dataclass(frozen=True)
class _ModelContext:
    project_dir: Path
    scaling_mode: str | None
    cron_zone: str | None
    namespace: str | None


def _read_schedule(r: _Reader, key: str, raw: Mapping[str, Any], cron_zone: str | None) -> Schedule | None:
    r.keys(key, raw, SCHEDULE_KEYS, ("name", "cron", "minReplicas"))
    name = None if raw.get("name") is None else r.label(f"{key}.name", raw["name"])
    minimum = None if raw.get("minReplicas") is None else r.integer(f"{key}.minReplicas", raw["minReplicas"], minimum=1)
    time_zone = r.string(f"{key}.timeZone", raw.get("timeZone", "UTC"))
    if time_zone is not None:
        try:
            zone(time_zone)
        except ScheduleError as error:
            r.problem(f"{key}.timeZone", time_zone, str(error))
            time_zone = None
    written = None if raw.get("cron") is None else r.string(f"{key}.cron", raw["cron"])
    cron = None
    if written is not None and time_zone is not None:
        try:
            cron = to_controller_zone(written, time_zone, cron_zone or time_zone)
        except ScheduleError as error:
            r.problem(f"{key}.cron", written, str(error))
    if name is None or minimum is None or cron is None or written is None or time_zone is None:
        return None
    return Schedule(name=name, cron=cron, written=written, time_zone=time_zone, min_replicas=minimum)


def _read_image_cache(r: _Reader, key: str, raw: Any, used_images: set[str]) -> ImageCacheConfig | None:
    mapping = r.mapping(key, raw)
    if mapping is None:
        return None
    r.keys(key, mapping, IMAGE_CACHE_KEYS, ("images",))
    images: list[str] = []
    listed = mapping.get("images")
    if listed is not None and (not isinstance(listed, list) or not listed):
        r.problem(f"{key}.images", listed, "must list the container images to cache")
    for i, image in enumerate(listed if isinstance(listed, list) else []):
        ok = r.image(f"{key}.images[{i}]", image)
        if ok is not None and ok not in used_images:
            r.problem(f"{key}.images[{i}]", ok, f"no container of this model uses it; used: {', '.join(sorted(used_images))}")
        elif ok is not None:
            images.append(ok)
    size = r.integer(f"{key}.sizeGiB", mapping.get("sizeGiB", 40), minimum=20)
    days = (
        None if mapping.get("retentionDays") is None else r.integer(f"{key}.retentionDays", mapping["retentionDays"], minimum=1)
    )
    if not images or size is None:
        return None
    return ImageCacheConfig(images=tuple(images), size_gib=size, retention_days=days)


def _read_source(r: _Reader, key: str, raw: Any, project_dir: Path) -> ModelSource | None:
    text = r.string(key, raw)
    if text is None:
        return None
    if text.startswith("oss://"):
        m = _OSS_URI.match(text)
        if not m or not _BUCKET.match(m["bucket"]):
            r.problem(key, text, "must be oss://<bucket>/<path> with a valid bucket name")
            return None
        return ModelSource(local_dir=None, bucket=m["bucket"], path=m["path"].strip("/"))
    try:
        path = (project_dir / text).resolve()
        is_dir = path.is_dir()
        has_model = is_dir and ((path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file())
    except (OSError, ValueError) as error:
        r.problem(key, text, f"must be a local directory or an oss:// URI; it cannot be read as a path ({error})")
        return None
    if not is_dir:
        r.problem(key, text, f"must be a local directory or an oss:// URI; {path} is not a directory")
        return None
    if not has_model:
        r.problem(key, text, "must hold a TensorFlow SavedModel (saved_model.pb and variables/); none found there")
        return None
    return ModelSource(local_dir=path, bucket=None, path=None)


def _read_model(r: _Reader, key: str, raw: Mapping[str, Any], context: _ModelContext) -> ModelConfig | None:
    r.keys(key, raw, list(MODEL_KEYS), MODEL_REQUIRED)

    def get(k: str) -> Any:
        return raw.get(k, MODEL_KEYS[k])

    name = None if raw.get("name") is None else r.label(f"{key}.name", raw["name"])
    deployment_name = r.label(f"{key}.deploymentName", get("deploymentName") or name or "x")
    version = r.integer(f"{key}.version", get("version"), minimum=1)
    source = None if raw.get("source") is None else _read_source(r, f"{key}.source", raw["source"], context.project_dir)
    predictor = r.label(f"{key}.predictorName", get("predictorName"))
    proxy_image = r.image(f"{key}.proxyImage", get("proxyImage"))
    serving_image = r.image(f"{key}.servingImage", get("servingImage"))
    gpu = r.integer(f"{key}.gpu", get("gpu"), minimum=1)
    cpu = r.quantity(f"{key}.cpu", get("cpu"))
    memory = r.quantity(f"{key}.memory", get("memory"))
    proxy_cpu = r.quantity(f"{key}.proxyCpu", get("proxyCpu"))
    proxy_memory = r.quantity(f"{key}.proxyMemory", get("proxyMemory"))
    replicas = r.integer(f"{key}.replicas", get("replicas"), minimum=1)
    source_min = r.integer(f"{key}.sourceMin", get("sourceMin"), minimum=0)
    source_max = r.integer(f"{key}.sourceMax", get("sourceMax"), minimum=0)
    r.min_max(f"{key}.sourceMin", source_min, f"{key}.sourceMax", source_max)
    units: list[ElasticUnit] = []
    if raw.get("units") is not None:
        indexed_units = _read_list(r, f"{key}.units", raw["units"], lambda k, m: _read_unit(r, k, m))
        seen: set[str] = set()
        for i, unit in indexed_units:
            if unit.name in seen:
                r.problem(f"{key}.units[{i}].name", unit.name, "unit names must be unique within a model")
            seen.add(unit.name)
        units = [unit for _, unit in indexed_units]
    min_replicas = r.integer(f"{key}.minReplicas", get("minReplicas"), minimum=1)
    max_replicas = r.integer(f"{key}.maxReplicas", get("maxReplicas"), minimum=1)
    r.min_max(f"{key}.minReplicas", min_replicas, f"{key}.maxReplicas", max_replicas)
    target_qps = r.integer(f"{key}.targetQps", get("targetQps"), minimum=1)
    up = r.integer(f"{key}.scaleUpStabilizationSeconds", get("scaleUpStabilizationSeconds"), minimum=0)
    down = r.integer(f"{key}.scaleDownStabilizationSeconds", get("scaleDownStabilizationSeconds"), minimum=0)
    host = None if get("host") is None else r.string(f"{key}.host", get("host"), pattern=_HOST, allowed="must be a DNS host name")
    tls = None if get("tlsSecret") is None else r.label(f"{key}.tlsSecret", get("tlsSecret"))
    volume_size = r.quantity(f"{key}.volumeSize", get("volumeSize"))
    former_raw = get("formerNames")
    former: list[str] = []
    if not isinstance(former_raw, list):
        r.problem(f"{key}.formerNames", former_raw, "must be a list of names this model had before")
    else:
        former = [n for i, n in enumerate(former_raw) if r.label(f"{key}.formerNames[{i}]", n)]

    if context.scaling_mode == "resourcePolicy" and units and not any(u.is_eci for u in units):
        r.problem(f"{key}.units", [u.name for u in units], "resourcePolicy mode needs at least one eci unit")
    schedules: list[Schedule] = []
    if get("schedules"):
        indexed = _read_list(r, f"{key}.schedules", get("schedules"), lambda k, m: _read_schedule(r, k, m, context.cron_zone))
        schedules = [schedule for _, schedule in indexed]
        for i, schedule in indexed:
            if max_replicas is not None and schedule.min_replicas > max_replicas:
                r.problem(
                    f"{key}.schedules[{i}].minReplicas", schedule.min_replicas, f"must not exceed maxReplicas = {max_replicas}"
                )
        if len({s.name for s in schedules}) != len(schedules):
            r.problem(f"{key}.schedules", [s.name for s in schedules], "schedule names must be unique within a model")
    grace = r.integer(f"{key}.terminationGracePeriodSeconds", get("terminationGracePeriodSeconds"), minimum=1)
    pre_stop = r.integer(f"{key}.preStopSeconds", get("preStopSeconds"), minimum=0)
    if grace is not None and pre_stop is not None and pre_stop >= grace:
        r.problem(f"{key}.preStopSeconds", pre_stop, f"must be shorter than terminationGracePeriodSeconds = {grace}")
    if grace is not None and grace > SPOT_NOTICE_SECONDS and any(u.is_spot for u in units):
        r.problem(
            f"{key}.terminationGracePeriodSeconds", grace,
            f"spot pods get about {SPOT_NOTICE_SECONDS} s notice before ECI reclaims them; use at most {SPOT_NOTICE_SECONDS}",
        )  # fmt: skip
    pdb_max = (
        None if get("pdbMaxUnavailable") is None else r.integer(f"{key}.pdbMaxUnavailable", get("pdbMaxUnavailable"), minimum=1)
    )
    pdb_min = None if get("pdbMinAvailable") is None else r.integer(f"{key}.pdbMinAvailable", get("pdbMinAvailable"), minimum=0)
    if get("pdbMaxUnavailable") is not None and get("pdbMinAvailable") is not None:
        r.problem(f"{key}.pdbMinAvailable", get("pdbMinAvailable"), "set either pdbMinAvailable or pdbMaxUnavailable, not both")
    if pdb_min is not None and max_replicas is not None and pdb_min >= max_replicas:
        r.problem(
            f"{key}.pdbMinAvailable", pdb_min,
            f"must be below maxReplicas = {max_replicas}, or the budget blocks every eviction (spot reclaims included)",
        )  # fmt: skip
    if pdb_min is None and pdb_max is None:
        pdb_max = 1
    protection = r.integer(f"{key}.spotProtectionHours", get("spotProtectionHours"), minimum=0)
    if protection is not None and protection > 1:
        r.problem(f"{key}.spotProtectionHours", protection, "ECI offers a protection period of 0 or 1 hour")
    graceful = r.boolean(f"{key}.spotGracefulEviction", get("spotGracefulEviction"))
    image_cache = None
    if get("imageCache") is not None:
        used = {i for i in (proxy_image, serving_image) if i is not None}
        image_cache = _read_image_cache(r, f"{key}.imageCache", get("imageCache"), used)

    if deployment_name is not None and len(deployment_name) > MAX_DEPLOYMENT_NAME:
        r.problem(
            f"{key}.deploymentName", deployment_name,
            f"must be at most {MAX_DEPLOYMENT_NAME} characters: labels carry '<deploymentName>-model' (at most {MAX_NAME})",
        )  # fmt: skip
    elif deployment_name is not None and predictor is not None and context.namespace is not None:
        service = seldon_names(deployment_name, predictor, [PROXY_CONTAINER, SERVING_CONTAINER]).service
        route = sls_route(context.namespace, service, SELDON_HTTP_PORT)
        if len(route) > MAX_NAME:
            r.problem(
                f"{key}.deploymentName", deployment_name,
                f"makes the HPA's sls.ingress.route label {route!r} longer than {MAX_NAME} characters; "
                "shorten deploymentName, predictorName or the namespace",
            )  # fmt: skip
    required = (name, deployment_name, version, source, predictor, proxy_image, serving_image, gpu, cpu, memory,
                proxy_cpu, proxy_memory, replicas, source_min, source_max, min_replicas, max_replicas, target_qps,
                up, down, volume_size, grace, pre_stop, protection, graceful)  # fmt: skip
    if any(v is None for v in required) or not units:
        return None
    assert grace is not None and pre_stop is not None and protection is not None and graceful is not None
    assert name and deployment_name and version and source and predictor and proxy_image and serving_image
    assert gpu and cpu and memory and proxy_cpu and proxy_memory and replicas and min_replicas and max_replicas
    assert target_qps and volume_size and source_min is not None and source_max is not None
    assert up is not None and down is not None
    return ModelConfig(
        name=name, deployment_name=deployment_name, version=version, source=source, predictor_name=predictor,
        proxy_image=proxy_image, serving_image=serving_image, gpu=gpu, cpu=cpu, memory=memory, proxy_cpu=proxy_cpu,
        proxy_memory=proxy_memory, replicas=replicas, source_min=source_min, source_max=source_max,
        units=tuple(units), min_replicas=min_replicas, max_replicas=max_replicas, target_qps=target_qps,
        scale_up_stabilization_seconds=up, scale_down_stabilization_seconds=down, host=host, tls_secret=tls,
        volume_size=volume_size, former_names=tuple(former), schedules=tuple(schedules),
        termination_grace_seconds=grace, pre_stop_seconds=pre_stop, pdb_max_unavailable=pdb_max,
        pdb_min_available=pdb_min, spot_protection_hours=protection, spot_graceful_eviction=graceful,
        image_cache=image_cache,
    )  # fmt: skip


def _read_models(r: _Reader, raw: Any, context: _ModelContext) -> tuple[ModelConfig, ...]:
    if raw is None:
        return ()
    indexed = _read_list(r, f"{PROJECT}:models", raw, lambda k, m: _read_model(r, k, m, context))
    for attr, config_key in (("name", "name"), ("deployment_name", "deploymentName")):
        seen: set[str] = set()
        for i, model in indexed:
            value = getattr(model, attr)
            if value in seen:
                r.problem(f"{PROJECT}:models[{i}].{config_key}", value, "must be unique across models")
            seen.add(value)
    return tuple(model for _, model in indexed)
