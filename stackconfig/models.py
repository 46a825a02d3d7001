"""The stack's configuration as pydantic models: keys, types, bounds and defaults in one place each.

Field names are the stack keys in snake_case; each field's alias is the camelCase key users write
(``eci-inference:models[0].targetQps``). Rules that relate several keys are model validators that report every
problem they find (:func:`stackconfig.errors.rule_error`). Some rules need values from outside the model they check
(the project directory, the namespace, the scaling mode, the controller's time zone): the loader passes them as the
validation context (:class:`Context`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from stackconfig import eci_specs, savedmodel
from stackconfig.addons import (
    CATALOG,
    SELDON,
    AddonName,
    deployment_name_as_prefix,
    executor_image,
    features,
    in_region,
    needed,
)
from stackconfig.errors import NO_VALUE, allowed, nearest, rule_error
from stackconfig.schedule import ScheduleError, fires, to_controller_zone, zone
from stackconfig.types import (
    INT32_MAX,
    INT64_MAX,
    Bool,
    BucketName,
    ChartRepo,
    ClusterId,
    DnsLabel,
    DnsSubdomain,
    EciSpec,
    Host,
    Image,
    NoBoolFloat,
    NodePoolId,
    ObjectPrefix,
    OssEndpoint,
    Quantity,
    Region,
    RoleName,
    SlsLogstore,
    SlsProject,
    Version,
    Whole,
    is_bucket_name,
    path_segments,
    quantity_value,
    version_tuple,
)
from stackconfig.volume_auth import VolumeAuth, refusal

MIN_PRICE_LIMIT = 0.001
MAX_PRICE_LIMIT = 1000.0
"""ECI takes a spot price limit per hour to three decimal places (ECI API ``CreateContainerGroup``, ``SpotPriceLimit``:
"accurate to three decimal places"); it documents no upper bound. 1000 per hour is far above the on-demand price of
every GPU type in ``eci_gpu_specs.yaml`` (ECI never charges a spot instance more than on demand), and keeps every
accepted limit within six significant digits, which the ``k8s.aliyun.com/eci-spot-price-limit`` annotation text
(``format(limit, "g")``) writes exactly."""
MAX_SDEP_NAME = 57
"""Labels carry ``<seldonDeploymentName>-model``, and a label value holds at most 63 characters."""
MAX_LABEL = 63
SPOT_NOTICE_SECONDS = 180
"""ECI raises SpotToBeReleased about three minutes before it reclaims a spot instance (ECI, 'Create a preemptible
elastic container instance'; ACK's Jobs page says about five: the shorter one is the one to plan for)."""
MAX_STABILIZATION_SECONDS = 3600
"""kubernetes v1.34 ``pkg/apis/autoscaling/validation/validation.go``: ``MaxStabilizationWindowSeconds = 3600``."""
MAX_SCALE_POLICY_VALUE = 1000
"""kubernetes v1.34 ``pkg/apis/autoscaling/validation/validation.go`` ``validateScalingPolicy`` only asks a policy's value
to be above 0 (an int32); a policy that adds more than 1000 pods or percent per 15 s is no limit at all, and
``maxReplicas`` stops at 1000 too. A scale-down beyond 100 % removes nothing more, so it stops at 100."""
PROVIDER_NAMESPACES = ("alicloud", "kubernetes", "pulumi")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
"""Namespaces every cluster has: the program never creates (or deletes) them."""

SELDON_EXECUTOR_CPU = "0.5"
SELDON_EXECUTOR_MEMORY = "512Mi"
"""The operator adds its executor container (``seldon-container-engine``) to every predictor pod with these requests
and limits (seldon-core v1.17.1, ``helm-charts/seldon-core-operator/values.yaml`` ``executor.resources``); ECI sizes
the pod by the sum of its containers, so they count when a pod is fitted to an instance type."""

MAX_ISVC_NAME = 48
"""KServe labels the predictor's pods ``app: isvc.<name>-predictor`` (kserve v0.20.0 ``constants.GetRawServiceLabel``),
and a label value holds at most 63 characters."""
_ISVC_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
"""kserve v0.20.0 ``pkg/apis/serving/v1beta1/inference_service_validation.go``: ``IsvcNameFmt``."""
SELDON_ONLY = ("seldon_deployment_name", "predictor_name", "proxy_image", "proxy_cpu", "proxy_memory")
"""Keys that configure Seldon's objects; a KServe model has no SeldonDeployment, predictor graph or proxy."""
KSERVE_ONLY = ("inference_service_name",)
"""Keys that configure KServe's objects."""

OSS_SCHEME = "oss://"
DEFAULT_PROXY_IMAGE = "registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest:1.3.0"
DEFAULT_SERVING_IMAGE = "tensorflow/serving:2.3.0-gpu"

RENAMED = {
    ("ModelConfig", "deploymentName"): "it is now seldonDeploymentName (the SeldonDeployment's name; the Deployment the operator "
    "creates from it is a stack output, predictorDeploymentName)",
    (
        "ModelConfig",
        "replicas",
    ): "the HPA owns the replica count and starts it at minReplicas; a SeldonDeployment that sets replicas "
    "makes the Seldon operator (1.17.1) undo every scale-out, so the program never sets it",
    ("ImageCacheConfig", "images"): "the cache now holds every image the predictor pod runs (its containers and the "
    "executor the Seldon operator injects); list only images beyond those, in extraImages",
    ("ScheduleConfig", "minReplicas"): "it is now targetSize: at the scheduled time the CronHPA controller sets the "
    "HPA's minReplicas to it only when the HPA's current count is below it, and raises maxReplicas to it when it is "
    "above (kubernetes-cronhpa-controller, ScaleHPA); it is not a floor that holds until the next job",
}
"""Keys that were renamed or removed, with what to write instead."""


@dataclass(frozen=True)
class Context:
    """What the model validators need from outside the model they check."""

    project_dir: Path
    namespace: str | None = None
    scaling_mode: str | None = None
    cron_zone: str | None = None
    secret_keys: frozenset[str] = frozenset()


def _context(info: ValidationInfo) -> Context:
    context = info.context
    assert isinstance(context, Context), "validate with context=Context(...)"
    return context


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        allow_inf_nan=False,
        hide_input_in_errors=False,
    )


class UnitConfig(_Model):
    """One elastic unit: where pods go once the units before it are full."""

    name: DnsLabel = Field(description="unit name, unique within the model")
    resource: Literal["eci", "ecs"] = "eci"
    specs: list[EciSpec] | None = Field(None, min_length=1)
    node_pool_id: NodePoolId | None = None
    min: Whole = Field(0, ge=0, le=INT32_MAX)
    max: Whole = Field(description="the most pods this unit holds", ge=1, le=INT32_MAX)
    spot_strategy: Literal["SpotAsPriceGo", "SpotWithPriceLimit"] | None = None
    price_limit: NoBoolFloat | None = Field(None, ge=MIN_PRICE_LIMIT, le=MAX_PRICE_LIMIT)

    @field_validator("price_limit")
    @classmethod
    def _three_decimals(cls, value: float | None) -> float | None:
        if value is not None and round(value, 3) != value:
            raise allowed("must have at most three decimal places (ECI takes the hourly price limit to 0.001)")
        return value

    @field_validator("specs", mode="before")
    @classmethod
    def _one_spec_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def is_spot(self) -> bool:
        return self.spot_strategy is not None

    @property
    def is_eci(self) -> bool:
        return self.resource == "eci"

    @model_validator(mode="after")
    def _consistent(self) -> UnitConfig:
        problems: list[tuple[str, Any, str]] = []
        if self.min > self.max:
            problems.append(("min", self.min, f"is greater than max = {self.max}: the minimum must not exceed the maximum"))
        if self.price_limit is not None and self.spot_strategy != "SpotWithPriceLimit":
            problems.append(("priceLimit", self.price_limit, "a price limit needs spotStrategy: SpotWithPriceLimit"))
        if self.spot_strategy == "SpotWithPriceLimit" and self.price_limit is None:
            problems.append(("priceLimit", NO_VALUE, "is required: spotStrategy SpotWithPriceLimit needs the hourly price limit"))
        if self.resource == "ecs":
            if self.node_pool_id is None:
                problems.append(("nodePoolId", NO_VALUE, "is required: an ecs unit places pods on the node pool with this id"))
            for key, value in (("specs", self.specs), ("spotStrategy", self.spot_strategy), ("priceLimit", self.price_limit)):
                if value is not None:
                    problems.append((key, value, "only an eci unit takes ECI instance types and spot settings"))
        else:
            if self.specs is None:
                problems.append(("specs", NO_VALUE, "is required: an eci unit names its ECI instance types"))
            if self.node_pool_id is not None:
                problems.append(("nodePoolId", self.node_pool_id, "only an ecs unit runs on a node pool"))
            known = eci_specs.table()
            for i, spec in enumerate(self.specs or []):
                if spec not in known:
                    problems.append(
                        (
                            f"specs[{i}]",
                            spec,
                            f"is not an ECI GPU instance type this stack knows{nearest(spec, known)}; "
                            f"known: {', '.join(known)} (stackconfig/eci_gpu_specs.yaml)",
                        )
                    )
        if problems:
            raise rule_error(problems)
        return self


class ScheduleConfig(_Model):
    """A CronHPA job: at ``cron`` (in ``timeZone``) the CronHPA sets the HPA's bounds from ``targetSize``."""

    name: DnsLabel
    cron: str = Field(min_length=1, description="5 fields (minute hour day month weekday) or 6 (seconds first)")
    time_zone: str = "UTC"
    target_size: Whole = Field(description="the replica count the job asks for (see README, 'Schedules')", ge=1, le=INT32_MAX)
    _controller_cron: str | None = PrivateAttr(None)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zone(value)
        except ScheduleError as error:
            raise allowed(str(error)) from None
        return value

    @model_validator(mode="after")
    def _translate(self, info: ValidationInfo) -> ScheduleConfig:
        controller = _context(info).cron_zone
        try:
            translated = to_controller_zone(self.cron, self.time_zone, controller or self.time_zone)
        except ScheduleError as error:
            raise rule_error([("cron", self.cron, str(error))]) from None
        if not fires(translated):
            raise rule_error([("cron", self.cron, "never fires: no date matches its day, month and weekday fields")])
        self._controller_cron = translated
        return self

    @property
    def controller_cron(self) -> str:
        """The six-field expression in the controller's time zone (what the CronHPA gets)."""
        assert self._controller_cron is not None
        return self._controller_cron


class ImageCacheConfig(_Model):
    """An ECI ImageCache holding every image the predictor pod runs (its containers and the executor the Seldon
    operator injects), so a scale-out does not pull them from the registry; ``extraImages`` adds more."""

    extra_images: list[Image] = Field([], description="images to cache besides the ones the predictor pod runs")
    size_gib: Whole = Field(40, ge=20, le=INT32_MAX, alias="sizeGiB")
    retention_days: Whole | None = Field(None, ge=1, le=INT32_MAX)


CANARY_INGRESS_CLASSES = ("nginx",)
"""IngressClasses whose controller honours ingress-nginx's ``canary-weight`` annotation: ACK's NGINX Ingress
controller ("Use the NGINX Ingress controller to implement canary releases and blue-green releases"). ACK's ALB and
MSE Ingresses split traffic with their own annotations (``alb.ingress.kubernetes.io/canary-weight``, ...), which this
stack does not write."""
CANARY_SUFFIX = "-canary"
"""Appended to the SeldonDeployment's name for the canary's (components.naming.canary_sdep does the same)."""


def _saved_model_problem(where: Path) -> str | None:
    """Why ``where`` is not a local SavedModel directory TF Serving can load, or None (no absolute path is shown)."""
    try:
        if not where.is_dir():
            return "it is not a directory of the project"
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    return savedmodel.problem(where)


def _local_path(value: str) -> str:
    """A local model directory: a relative path inside the project, segment by segment, so that TF Serving and the
    upload never leave it and no absolute path of the machine that ran the program reaches a resource or a report."""
    path_segments(value.removesuffix("/"), "a local directory inside the project (a relative path)")
    return value


class CanaryConfig(_Model):
    """A second server for another version of the model, taking ``weight`` % of the model host's requests."""

    version: Whole = Field(ge=1, le=INT64_MAX, description="the version the canary serves")
    weight: Whole = Field(ge=0, le=100, description="percentage of the host's requests sent to the canary")
    source: str | None = Field(
        None,
        min_length=1,
        description="local SavedModel directory of that version (default: the directory named <version> beside the "
        "model's source); not allowed for an oss:// model, whose versions are read from <path>/<version>/",
    )
    min_replicas: Whole = Field(1, ge=1, le=INT32_MAX)
    max_replicas: Whole = Field(2, ge=1, le=INT32_MAX)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        return None if value is None else _local_path(value)


class ModelConfig(_Model):
    """One served model: its source, its server, its scaling and its route."""

    name: DnsLabel = Field(description="model name (TF Serving --model_name, stack output name)")
    seldon_deployment_name: DnsLabel | None = Field(None, max_length=MAX_SDEP_NAME)
    version: Whole = Field(1, ge=1, le=INT64_MAX)
    source: str = Field(min_length=1, description="a local SavedModel directory or oss://<bucket>/<path> holding one")
    predictor_name: DnsLabel = "predictor"
    proxy_image: Image = DEFAULT_PROXY_IMAGE
    serving_image: Image = DEFAULT_SERVING_IMAGE
    gpu: Whole = Field(1, ge=1, le=16)
    cpu: Quantity = "3"
    memory: Quantity = "12Gi"
    proxy_cpu: Quantity = "0.5"
    proxy_memory: Quantity = "512Mi"
    source_min: Whole = Field(0, ge=0, le=INT32_MAX)
    source_max: Whole = Field(1, ge=0, le=INT32_MAX)
    units: list[UnitConfig] = Field(min_length=1, description="the ordered elastic units")
    min_replicas: Whole = Field(1, ge=1)
    max_replicas: Whole = Field(10, ge=1, le=1000)
    target_qps: Whole = Field(10, ge=1, le=INT32_MAX)
    scale_up_stabilization_seconds: Whole = Field(0, ge=0, le=MAX_STABILIZATION_SECONDS)
    scale_down_stabilization_seconds: Whole = Field(300, ge=0, le=MAX_STABILIZATION_SECONDS)
    scale_up_pods: Whole = Field(4, ge=1, le=MAX_SCALE_POLICY_VALUE)
    """Pods the HPA may add per 15 s (its scale-up Pods policy; the larger of it and scaleUpPercent applies)."""
    scale_up_percent: Whole = Field(100, ge=1, le=MAX_SCALE_POLICY_VALUE)
    """Percent of the current pods the HPA may add per 15 s (its scale-up Percent policy)."""
    scale_down_percent: Whole = Field(10, ge=1, le=100)
    """Percent of the current pods the HPA may remove per minute after the scale-down window."""
    host: Host | None = None
    tls_secret: DnsSubdomain | None = None
    volume_size: Quantity = "5Gi"
    former_names: list[DnsLabel] = []
    schedules: list[ScheduleConfig] = []
    termination_grace_period_seconds: Whole = Field(30, ge=1, le=INT64_MAX)
    pre_stop_seconds: Whole = Field(10, ge=0)
    pdb_max_unavailable: Whole | None = Field(None, ge=1, le=INT32_MAX)
    pdb_min_available: Whole | None = Field(None, ge=0, le=INT32_MAX)
    spot_protection_hours: Whole = Field(1, ge=0, le=1)
    spot_graceful_eviction: Bool = True
    image_cache: ImageCacheConfig | None = None
    model_load_timeout_seconds: Whole = Field(900, ge=60, le=3600)
    """How long TF Serving may take to load the model after the pod starts (a cold ECI start reads it from OSS)."""
    canary: CanaryConfig | None = None
    """A canary of another version; promote with ``version: <canary version>`` and no canary, roll back with weight 0
    or no canary."""
    server: Literal["seldon", "kserve"] = "seldon"
    """The model server: Seldon Core v1 (the recipe's) or KServe in Standard mode (docs/servers.md)."""
    inference_service_name: str | None = Field(None, min_length=1, max_length=MAX_ISVC_NAME)
    """The InferenceService's name when ``server`` is kserve (defaults to the model name)."""

    @property
    def sdep_name(self) -> str:
        """The SeldonDeployment's name (defaults to the model name)."""
        return self.seldon_deployment_name or self.name

    @property
    def server_name(self) -> str:
        """The server object's name: the SeldonDeployment, or the InferenceService (each defaults to the model name)."""
        if self.server == "kserve":
            return self.inference_service_name or self.name
        return self.sdep_name

    @property
    def server_name_key(self) -> str:
        """The stack key that names the server object."""
        return "inferenceServiceName" if self.server == "kserve" else "seldonDeploymentName"

    @field_validator("inference_service_name")
    @classmethod
    def _isvc_name(cls, value: str | None) -> str | None:
        if value is not None and not _ISVC_NAME.fullmatch(value):
            raise allowed("must start with a lowercase letter, then lowercase letters, digits and '-', and not end with '-'")
        return value

    @property
    def oss_source(self) -> tuple[str, str] | None:
        """``(bucket, path)`` of an ``oss://`` source; ``None`` for a local directory."""
        if not self.source.startswith(OSS_SCHEME):
            return None
        bucket, _, path = self.source.removeprefix(OSS_SCHEME).partition("/")
        return bucket, path.strip("/")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str, info: ValidationInfo) -> str:
        if value.startswith(OSS_SCHEME):
            bucket, _, path = value.removeprefix(OSS_SCHEME).partition("/")
            if not is_bucket_name(bucket) or not path.strip("/"):
                raise allowed("must be oss://<bucket>/<path> with a valid bucket name")
            path_segments(path.removesuffix("/"), "oss://<bucket>/<path> with a path")
            return value
        if "://" in value:
            raise allowed("must be a local directory or an oss:// URI")
        _local_path(value)
        problem = _saved_model_problem(_context(info).project_dir.resolve() / value.removesuffix("/"))
        if problem is not None and problem.startswith("it "):
            raise allowed(f"must be a local directory or an oss:// URI; {value}: {problem.removeprefix('it ')}")
        if problem is not None:
            raise allowed(f"must hold a TensorFlow SavedModel that TF Serving can load: {problem}")
        return value

    def local_dir(self, project_dir: Path) -> Path | None:
        """The SavedModel directory to upload (inside the project), or ``None`` for an ``oss://`` source."""
        return None if self.oss_source else project_dir.resolve() / self.source  # a trailing "/" is dropped by Path

    def canary_local_dir(self, project_dir: Path) -> Path | None:
        """The canary version's SavedModel directory to upload, or ``None`` (no canary, or an ``oss://`` source)."""
        if self.canary is None or self.oss_source:
            return None
        given = self.canary.source or "/".join([*self.source.removesuffix("/").split("/")[:-1], str(self.canary.version)])
        return project_dir.resolve() / given  # a trailing "/" is dropped by Path

    def _canary_rules(self, context: Context, add: Any) -> None:
        canary = self.canary
        if canary is None:
            return
        if canary.version == self.version:
            add(
                (
                    "canary.version",
                    canary.version,
                    f"is the version already served (version = {self.version}): a canary serves another version; "
                    "to promote it, set version to it and remove canary",
                )
            )
        if canary.min_replicas > canary.max_replicas:
            add(
                (
                    "canary.minReplicas",
                    canary.min_replicas,
                    f"is greater than canary.maxReplicas = {canary.max_replicas}: the minimum must not exceed the maximum",
                )
            )
        elastic = context.scaling_mode != "resourcePolicy"
        capacity = sum(u.max for u in self.units) + (self.source_max if elastic else 0)
        if canary.max_replicas > capacity:
            add(("canary.maxReplicas", canary.max_replicas, f"is above what the units can hold ({capacity})"))
        if self.oss_source:
            if canary.source is not None:
                add(
                    (
                        "canary.source",
                        canary.source,
                        f"must not be set for an oss:// model: the canary reads {self.source.rstrip('/')}/{canary.version}/",
                    )
                )
        else:
            where = self.canary_local_dir(context.project_dir)
            assert where is not None
            problem = _saved_model_problem(where)
            if problem is not None:
                key = "canary.source" if canary.source is not None else "canary.version"
                value = canary.source if canary.source is not None else canary.version
                add((key, value, f"has no model files: {problem}; set canary.source to the version's SavedModel directory"))
        sdep = f"{self.sdep_name}{CANARY_SUFFIX}"
        if len(sdep) > MAX_LABEL:
            add(("seldonDeploymentName", self.sdep_name, f"is too long for the canary's name {sdep!r} (at most {MAX_LABEL})"))
        if context.namespace is not None:
            route = f"{context.namespace}-{sdep}-{self.predictor_name}-8000"
            if len(route) > MAX_LABEL:
                add(
                    (
                        "canary",
                        NO_VALUE,
                        f"makes the canary HPA's sls.ingress.route label {route!r} longer than {MAX_LABEL} characters; "
                        "shorten seldonDeploymentName, predictorName or the namespace",
                    )
                )

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> ModelConfig:
        context = _context(info)
        problems: list[tuple[str, Any, str]] = []
        add = problems.append
        if self.source_min > self.source_max:
            add(
                (
                    "sourceMin",
                    self.source_min,
                    f"is greater than sourceMax = {self.source_max}: the minimum must not exceed the maximum",
                )
            )
        if self.min_replicas > self.max_replicas:
            add(
                (
                    "minReplicas",
                    self.min_replicas,
                    f"is greater than maxReplicas = {self.max_replicas}: the minimum must not exceed the maximum",
                )
            )
        names = [u.name for u in self.units]
        for i, name in enumerate(names):
            if name in names[:i]:
                add((f"units[{i}].name", name, "unit names must be unique within a model"))
        spot = next((i for i, u in enumerate(self.units) if u.is_spot), None)
        for i, unit in enumerate(self.units):
            if spot is not None and i > spot and not unit.is_spot:
                add(
                    (
                        f"units[{i}]",
                        unit.name,
                        f"is on-demand but comes after spot units[{spot}] ({self.units[spot].name}); pods fill units in "
                        "order, so list every on-demand unit before the spot ones",
                    )
                )
        self._server_rules(add)
        self._capacity_rules(context, add)
        self._schedule_rules(add)
        self._disruption_rules(add)
        self._spec_rules(add)
        self._name_rules(context, add)
        self._canary_rules(context, add)
        if self.image_cache is not None:
            used = {self.proxy_image, self.serving_image} if self.server == "seldon" else {self.serving_image}
            for i, image in enumerate(self.image_cache.extra_images):
                if image in used or image in self.image_cache.extra_images[:i]:
                    add(
                        (
                            f"imageCache.extraImages[{i}]",
                            image,
                            "is cached already: list each image once, and no image the pod runs",
                        )
                    )
        if problems:
            raise rule_error(problems)
        return self

    def _server_rules(self, add: Any) -> None:
        owner, keys = ("seldon", SELDON_ONLY) if self.server == "kserve" else ("kserve", KSERVE_ONLY)
        for field in keys:
            if field in self.model_fields_set:
                add(
                    (
                        to_camel(field),
                        getattr(self, field),
                        f"only a server: {owner} model takes it; this model's server is {self.server}",
                    )
                )

    def _capacity_rules(self, context: Context, add: Any) -> None:
        elastic = context.scaling_mode != "resourcePolicy"
        floor = sum(u.min for u in self.units) + self.source_min
        if elastic and floor > self.max_replicas:
            add(
                (
                    "units",
                    [u.min for u in self.units],
                    f"the units' min (plus sourceMin) add up to {floor}, above maxReplicas = {self.max_replicas}: "
                    "the ElasticWorkload could never scale in to what the HPA asks",
                )
            )
        capacity = sum(u.max for u in self.units) + (self.source_max if elastic else 0)
        if self.max_replicas > capacity:
            add(
                (
                    "maxReplicas",
                    self.max_replicas,
                    f"is above what the units can hold ({capacity}: their max"
                    + (" plus sourceMax" if elastic else "")
                    + "); the HPA would ask for pods no unit takes",
                )
            )
        # Unit min, sourceMin and sourceMax only mean something in elasticWorkload mode; they are kept in
        # resourcePolicy mode so that switching modes is one key (README, "Scaling modes").
        if context.scaling_mode == "resourcePolicy" and not any(u.is_eci for u in self.units):
            add(("units", [u.name for u in self.units], "resourcePolicy mode needs at least one eci unit"))

    def _schedule_rules(self, add: Any) -> None:
        for i, schedule in enumerate(self.schedules):
            if schedule.target_size > self.max_replicas:
                add(
                    (
                        f"schedules[{i}].targetSize",
                        schedule.target_size,
                        f"is above maxReplicas = {self.max_replicas}: the CronHPA would raise the HPA's maxReplicas to it "
                        "(kubernetes-cronhpa-controller ScaleHPA), past the capacity this stack was checked for",
                    )
                )
        names = [s.name for s in self.schedules]
        if len(set(names)) != len(names):
            add(("schedules", names, "schedule names must be unique within a model"))

    def _disruption_rules(self, add: Any) -> None:
        grace, pre_stop = self.termination_grace_period_seconds, self.pre_stop_seconds
        if pre_stop >= grace:
            add(("preStopSeconds", pre_stop, f"must be shorter than terminationGracePeriodSeconds = {grace}"))
        if grace > SPOT_NOTICE_SECONDS and any(u.is_spot for u in self.units):
            add(
                (
                    "terminationGracePeriodSeconds",
                    grace,
                    f"spot pods get about {SPOT_NOTICE_SECONDS} s notice before ECI reclaims them; "
                    f"use at most {SPOT_NOTICE_SECONDS}",
                )
            )
        if self.pdb_max_unavailable is not None and self.pdb_min_available is not None:
            add(("pdbMinAvailable", self.pdb_min_available, "set either pdbMinAvailable or pdbMaxUnavailable, not both"))
        if self.pdb_min_available is not None and self.pdb_min_available >= self.max_replicas:
            add(
                (
                    "pdbMinAvailable",
                    self.pdb_min_available,
                    f"must be below maxReplicas = {self.max_replicas}, "
                    "or the budget blocks every eviction (spot reclaims included)",
                )
            )

    def _spec_rules(self, add: Any) -> None:
        cpu, memory = quantity_value(self.cpu), quantity_value(self.memory)
        what = "cpu; memory; gpu"
        if self.server == "seldon":
            cpu += quantity_value(self.proxy_cpu) + quantity_value(SELDON_EXECUTOR_CPU)
            memory += quantity_value(self.proxy_memory) + quantity_value(SELDON_EXECUTOR_MEMORY)
            what = (
                f"cpu + proxyCpu + Seldon's executor {SELDON_EXECUTOR_CPU}; memory + proxyMemory + {SELDON_EXECUTOR_MEMORY}; gpu"
            )
        known = eci_specs.table()
        for i, unit in enumerate(self.units):
            for j, spec in enumerate(unit.specs or []):
                if spec in known:
                    for why in eci_specs.misfits(known[spec], cpu, memory, self.gpu):
                        add(
                            (
                                f"units[{i}].specs[{j}]",
                                spec,
                                f"the pod does not fit it: {why} ({what})",
                            )
                        )

    def _name_rules(self, context: Context, add: Any) -> None:
        if context.namespace is None:
            return
        # The HPA selects its metric by the label sls.ingress.route = <namespace>-<service>-<port>; the Service is
        # <sdep>-<predictor> (hashed by the operator only past 63, which the label would already exceed), or KServe's
        # <isvc>-predictor on port 80 (components/kserve_server.py).
        if self.server == "kserve":
            route = f"{context.namespace}-{self.server_name}-predictor-80"
            fix = "shorten inferenceServiceName (or the model name) or the namespace"
        else:
            route = f"{context.namespace}-{self.sdep_name}-{self.predictor_name}-8000"
            fix = "shorten seldonDeploymentName, predictorName or the namespace"
        if len(route) > MAX_LABEL:
            add(
                (
                    self.server_name_key,
                    self.server_name,
                    f"makes the HPA's sls.ingress.route label {route!r} longer than {MAX_LABEL} characters; {fix}",
                )
            )

    @property
    def pdb(self) -> tuple[int | None, int | None]:
        """``(maxUnavailable, minAvailable)`` of the PodDisruptionBudget (one of the two; 1 unavailable by default)."""
        if self.pdb_max_unavailable is None and self.pdb_min_available is None:
            return 1, None
        return self.pdb_max_unavailable, self.pdb_min_available


class AddonOverride(_Model):
    """Per add-on overrides of the catalog (``stackconfig/addons.py``)."""

    enabled: Bool | None = None
    kind: Literal["managed", "helm"] | None = None
    version: Version | None = None
    chart: DnsLabel | None = None
    repo: ChartRepo | None = None
    namespace: DnsLabel | None = None
    values: dict[str, Any] | None = None


class AddonSettings(_Model):
    """One add-on as the stack installs it: the catalog entry with the stack's overrides applied."""

    model_config = ConfigDict(populate_by_name=True)

    name: AddonName
    enabled: bool
    kind: Literal["managed", "helm"]
    version: str | None
    chart: str
    repo: str
    namespace: str
    values: dict[str, Any]
    cleanup_cloud_resources: bool | None
    reinstall_on_upgrade: bool
    after: tuple[str, ...] = ()


Secret = Annotated[SecretStr, Field(min_length=1)]


class StackConfig(_Model):
    """The whole stack configuration (the keys of the project namespace, ``eci-inference:<key>``)."""

    cluster_id: ClusterId = Field(description="Id of the existing ACK cluster (c + hex).")
    region: Region = Field(description="Alibaba Cloud region of the cluster and the bucket, e.g. cn-beijing.")
    kubeconfig: Secret | None = Field(
        None,
        validate_default=True,
        description="Kubeconfig for the cluster; when unset the cluster's credential is fetched from ACK.",
    )
    namespace: DnsLabel = Field("default", description="Namespace of the serving objects.")
    create_namespace: Bool | None = Field(
        None,
        validate_default=True,
        description="Create the namespace (default: true unless it is default or kube-system).",
    )
    bucket: BucketName = Field(description="OSS bucket that holds the models (created unless createBucket is false).")
    create_bucket: Bool = Field(
        True, description="Create the bucket (private, encrypted, versioned); false uses an existing one."
    )
    protect_bucket: Bool = Field(True, description="Protect the created bucket from deletion by Pulumi.")
    model_prefix: ObjectPrefix = Field(
        "models", description="Object prefix under which local models are uploaded: <prefix>/<model>/<version>/."
    )
    oss_endpoint: OssEndpoint | None = Field(
        None, description="OSS endpoint the CSI driver mounts from; default oss-<region>-internal.aliyuncs.com."
    )
    volume_auth: VolumeAuth = Field(
        "rrsa",
        description="How the OSS volume authenticates: rrsa (ECS units only), ramRole (the ECI instance's RAM role; "
        "eci units only) or accessKey (Kubernetes Secret); see stackconfig/volume_auth.py.",
    )
    rrsa_role_name: RoleName | None = Field(
        None,
        validate_default=True,
        description="RAM role the OSS CSI driver assumes when volumeAuth is rrsa.",
    )
    ram_role_name: RoleName | None = Field(
        None,
        validate_default=True,
        description="RAM role (trusted service: ECS) attached to the ECI instances when volumeAuth is ramRole.",
    )
    oss_access_key_id: Secret | None = Field(
        None,
        validate_default=True,
        description="AccessKey id for the OSS volume when volumeAuth is accessKey.",
        alias="ossAccessKeyId",
    )
    oss_access_key_secret: Secret | None = Field(
        None,
        validate_default=True,
        description="AccessKey secret for the OSS volume when volumeAuth is accessKey.",
    )
    sls_project: SlsProject | None = Field(None, description="Log project holding the ingress logs; default k8s-log-<clusterId>.")
    sls_logstore: SlsLogstore = Field("nginx-ingress", description="Logstore of the ingress access logs.")
    create_ingress_log_config: Bool = Field(
        False,
        description="Create ACK's AliyunLogConfig k8s-nginx-ingress that collects the Ingress access logs into slsLogstore "
        "(false: the cluster already collects them, as clusters created with log collection do).",
    )
    ingress_class: DnsLabel = Field("nginx", description="IngressClass of the Ingress objects.")
    scaling_mode: Literal["elasticWorkload", "resourcePolicy"] = Field(
        "elasticWorkload",
        description=(
            "elasticWorkload (an ElasticWorkload over the Seldon Deployment) or resourcePolicy (ACK's ResourcePolicy scheduling)."
        ),
    )
    addons: dict[str, AddonOverride] = Field(
        {}, description="Per add-on overrides: {<add-on>: {enabled, kind, version, chart, repo, namespace, values}}."
    )
    models: list[ModelConfig] = Field(min_length=1, description="The served models: a list of model objects (see README).")
    cron_controller_time_zone: str | None = Field(
        None,
        validate_default=True,
        description="Time zone ack-kubernetes-cronhpa-controller runs in; required with schedules (see README).",
    )
    _addons: tuple[AddonSettings, ...] = PrivateAttr(())

    @field_validator("cron_controller_time_zone")
    @classmethod
    def _zone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                zone(value)
            except ScheduleError as error:
                raise allowed(str(error)) from None
        elif any(m.schedules for m in info.data.get("models", [])):
            raise _required(
                "is required when a model has schedules: the CronHPA controller fires in its own process's time zone, "
                "which ACK does not document for its add-on (the upstream chart runs it with TZ=Asia/Shanghai)"
            )
        return value

    @field_validator("kubeconfig", "oss_access_key_id", "oss_access_key_secret")
    @classmethod
    def _secret_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        key = cls.model_fields[str(info.field_name)].alias or str(info.field_name)
        if value is not None and key not in _context(info).secret_keys:
            raise _required(f"must be set as a secret: pulumi config set --secret {key} <value>")
        if key == "kubeconfig" or "volume_auth" not in info.data:
            return value
        if info.data["volume_auth"] != "accessKey" and value is not None:
            raise _required(f"is set but volumeAuth is {info.data['volume_auth']}: remove it, or set volumeAuth to accessKey")
        if info.data["volume_auth"] == "accessKey" and value is None:
            raise _required(f"is required: volumeAuth is accessKey: pulumi config set --secret {key} <value>")
        return value

    @field_validator("rrsa_role_name")
    @classmethod
    def _role(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("volume_auth") == "rrsa":
            raise _required("is required: volumeAuth is rrsa, so the RAM role the CSI driver assumes must be named")
        if value is not None and info.data.get("volume_auth") != "rrsa":
            raise allowed("is only used with volumeAuth: rrsa; remove it, or set volumeAuth to rrsa")
        return value

    @field_validator("ram_role_name")
    @classmethod
    def _ram_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("volume_auth") == "ramRole":
            raise _required("is required: volumeAuth is ramRole, so the RAM role attached to the ECI instances must be named")
        if value is not None and info.data.get("volume_auth") != "ramRole":
            raise allowed("is only used with volumeAuth: ramRole; remove it, or set volumeAuth to ramRole")
        return value

    @field_validator("create_namespace")
    @classmethod
    def _namespace(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        namespace = info.data.get("namespace")
        if value and namespace in SYSTEM_NAMESPACES:
            raise allowed(f"namespace {namespace!r} always exists; set createNamespace to false")
        return value

    @property
    def ns_created(self) -> bool:
        """Whether the program creates the namespace."""
        if self.create_namespace is not None:
            return self.create_namespace
        return self.namespace not in SYSTEM_NAMESPACES

    @property
    def prod_like(self) -> bool:
        """Whether the policy pack's ``prod-hardening`` treats this stack as prod-like: it creates a protected bucket,
        or a model's Ingress serves TLS (``policies/eci_policies/hardening.py``, ``prod_signals``). Such a stack runs
        restricted predictor pods behind a NetworkPolicy."""
        return (self.create_bucket and self.protect_bucket) or any(m.tls_secret is not None for m in self.models)

    @property
    def endpoint(self) -> str:
        return self.oss_endpoint or f"oss-{self.region}-internal.aliyuncs.com"

    @property
    def log_project(self) -> str:
        return self.sls_project or f"k8s-log-{self.cluster_id}"

    @property
    def installed_addons(self) -> tuple[AddonSettings, ...]:
        """Every catalog add-on with the overrides applied; the ones this stack does not need are disabled."""
        return self._addons

    @property
    def seldon_values(self) -> dict[str, Any]:
        """The Helm values the Seldon operator is installed with (the catalog's, with the stack's overrides)."""
        return next(a.values for a in self._addons if a.name == SELDON)

    @property
    def deployment_name_as_prefix(self) -> bool:
        """Whether the Seldon operator runs with ``DEPLOYMENT_NAME_AS_PREFIX=true`` (from its chart values)."""
        return deployment_name_as_prefix(self.seldon_values)

    @property
    def executor_image(self) -> str:
        """The executor image the Seldon operator injects into every predictor pod (from its chart values)."""
        return executor_image(self.seldon_values)

    @model_validator(mode="after")
    def _rules(self) -> StackConfig:
        problems: list[tuple[str, Any, str]] = []
        add = problems.append
        for attr in ("name", "server_name"):
            seen: set[str] = set()
            for i, model in enumerate(self.models):
                value = getattr(model, attr)
                if value in seen:
                    key = "name" if attr == "name" else model.server_name_key
                    add(
                        (
                            f"models[{i}].{key}",
                            value,
                            "must be unique across models",
                        )
                    )
                seen.add(value)
        names = {m.name: i for i, m in enumerate(self.models)}
        for i, model in enumerate(self.models):
            for j, former in enumerate(model.former_names):
                if former in names and names[former] != i:
                    add(
                        (
                            f"models[{i}].formerNames[{j}]",
                            former,
                            f"is the name of models[{names[former]}]: two models would claim the same resources",
                        )
                    )
        hosts: dict[str, int] = {}
        for i, model in enumerate(self.models):
            host = model.host or f"{model.server_name}.{self.cluster_id}.{self.region}.alicontainer.com"
            if host in hosts:
                add(
                    (
                        f"models[{i}].host",
                        host,
                        f"models[{hosts[host]}] is served on the same host and path '/': one Ingress rule would hide the other",
                    )
                )
            hosts.setdefault(host, i)
        self._volume_auth_rules(add)
        for i, model in enumerate(self.models):
            if model.canary is not None and self.ingress_class not in CANARY_INGRESS_CLASSES:
                add(
                    (
                        f"models[{i}].canary",
                        NO_VALUE,
                        f"needs an ingress class that splits traffic by canary-weight ({', '.join(CANARY_INGRESS_CLASSES)}); "
                        f"ingressClass is {self.ingress_class!r}",
                    )
                )
        has_schedules = any(m.schedules for m in self.models)
        self._addons = self._addon_settings(has_schedules, add)
        if problems:
            raise rule_error(problems)
        return self

    def _volume_auth_rules(self, add: Any) -> None:
        """Every place a model's pods run must have a documented way to mount its volume with ``volumeAuth``."""
        for i, model in enumerate(self.models):
            places: list[tuple[Any, str]] = []
            if self.scaling_mode == "elasticWorkload" and model.source_max > 0:
                places.append(
                    ("ecs", f"models[{i}]'s source Deployment (sourceMax {model.source_max}, no virtual-node selector)")
                )
            places += [(u.resource, f"models[{i}].units[{j}] {u.name!r}") for j, u in enumerate(model.units)]
            for placement, what in places:
                why = refusal(self.volume_auth, placement, what)
                if why is not None:
                    add(("volumeAuth", self.volume_auth, why))

    def _addon_settings(self, has_schedules: bool, add: Any) -> tuple[AddonSettings, ...]:
        graceful = any(m.spot_graceful_eviction and any(u.is_spot for u in m.units) for m in self.models)
        used = features(self.scaling_mode, has_schedules, graceful, frozenset(m.server for m in self.models))
        wanted = needed(used)
        for name in self.addons:
            if name not in CATALOG:
                add(
                    (
                        f"addons.{name}",
                        NO_VALUE,
                        f"is not an add-on this stack installs{nearest(name, CATALOG)}; allowed: {', '.join(CATALOG)}",
                    )
                )
        result = []
        for name, entry in CATALOG.items():
            given = self.addons.get(name, AddonOverride())
            key = f"addons.{name}"
            enabled = given.enabled if given.enabled is not None else True
            if name not in wanted:
                if given.enabled is True:
                    add((f"{key}.enabled", True, "this add-on is not used by this stack's scalingMode and schedules"))
                enabled = False
            version = given.version if given.version is not None else entry.version
            for feature, (minimum, source) in entry.minimum.items():
                if enabled and feature in used and version is not None and version_tuple(version) < version_tuple(minimum):
                    add(
                        (
                            f"{key}.version",
                            version,
                            f"is below {minimum}, the first version that supports {feature} ({source})",
                        )
                    )
            kind = entry.kind
            if given.kind is not None and given.kind != entry.kind:
                add((f"{key}.kind", given.kind, f"{name} is installed as {entry.kind} (stackconfig/addons.py)"))
            values = _merged(in_region(dict(entry.values), self.region), given.values or {})
            chart, repo = given.chart or entry.chart or name, given.repo or entry.repo or ""
            if entry.chart_url and version is not None:
                chart, repo = f"{repo.rstrip('/')}/{chart}-{version}.tgz", ""
            result.append(
                AddonSettings(
                    name=name,
                    enabled=enabled,
                    kind=kind,
                    version=version,
                    chart=chart,
                    repo=repo,
                    namespace=given.namespace or entry.namespace,
                    values=values,
                    cleanup_cloud_resources=entry.cleanup_cloud_resources if kind == "managed" else None,
                    reinstall_on_upgrade=entry.reinstall_on_upgrade,
                    after=entry.after,
                )
            )
        return tuple(result)


def _merged(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``, mapping by mapping (a catalog default survives an override of its siblings)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _required(message: str) -> Any:
    """A problem with a key as a whole (its value is not shown: it may be absent, or a secret)."""
    return rule_error([("", NO_VALUE, message)])


SECRET_KEYS = ("kubeconfig", "ossAccessKeyId", "ossAccessKeySecret")
"""The only keys that may be secrets."""


def secret_value(value: SecretStr | None) -> str | None:
    """The plain text of a secret, for wrapping in ``pulumi.Output.secret`` only."""
    return None if value is None else value.get_secret_value()
