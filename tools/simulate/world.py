"""World parameters: everything the objects do not say, each default with its source or marked as an assumption."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tools.simulate.hpa import DEFAULT_DOWNSCALE_WINDOW, DEFAULT_SYNC_PERIOD, DEFAULT_TOLERANCE
from tools.simulate.objects import KIND_ECI, KIND_ECI_CACHED, KIND_ECS, KIND_SOURCE

DEFAULT_START = "2024-01-01T00:00:00+00:00"
"""``--start`` default: a Monday at midnight UTC, fixed so that runs (and CI's base/head comparisons) are reproducible."""
START = dt.datetime.fromisoformat(DEFAULT_START)
DEFAULT_CONTROLLER_TZ = "Asia/Shanghai"
"""``--controller-tz`` default: the ``TZ`` the CronHPA controller's ``config/deploy/deploy.yaml`` and chart
``values.yaml`` (``controller.timezone``) set (AliyunContainerService/kubernetes-cronhpa-controller master 31c63bed)."""


@dataclass(frozen=True)
class Parameter:
    option: str
    default: str
    source: str
    assumption: bool


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "--sync-period",
        f"{DEFAULT_SYNC_PERIOD:g} s",
        "kube-controller-manager `--horizontal-pod-autoscaler-sync-period` default (kube-controller-manager reference)",
        False,
    ),
    Parameter(
        "--tolerance",
        f"{DEFAULT_TOLERANCE:g}",
        "kube-controller-manager `--horizontal-pod-autoscaler-tolerance` default; replica_calculator.go `Tolerances.isWithin`",
        False,
    ),
    Parameter(
        "--downscale-window",
        f"{DEFAULT_DOWNSCALE_WINDOW:g} s",
        "`--horizontal-pod-autoscaler-downscale-stabilization` default; used when `behavior.scaleDown` sets no window",
        False,
    ),
    Parameter(
        "--metric-window",
        "15 s",
        "alibaba-cloud-metrics-adapter pkg/metrics/sls/sls.go `getSLSParams` (`MIN_INTERVAL`, `sls.query.interval`)",
        False,
    ),
    Parameter(
        "--metric-delay",
        "10 s",
        "alibaba-cloud-metrics-adapter pkg/metrics/sls/sls.go `getSLSParams` (`DelaySeconds: 10`, `sls.query.delay`)",
        False,
    ),
    Parameter("--startup-ecs", "30 s", "assumption: pod on an existing node-pool node, image present, to container start", True),
    Parameter("--startup-eci", "150 s", "assumption: ECI creation plus pulling the ~3 GB TF Serving GPU image", True),
    Parameter("--startup-eci-cached", "45 s", "assumption: ECI creation from a matching image cache (`eci-auto-imc`)", True),
    Parameter("--model-load", "20 s", "assumption: TF Serving loads the SavedModel from the OSS mount and turns Ready", True),
    Parameter("--replica-qps", "the HPA's averageValue", "issue 10: one ready replica serves the HPA's target", True),
    Parameter("--spot-reclaims", "0 per hour", "assumption (none by default); Poisson arrivals, `--seed` 0", True),
    Parameter(
        "--spot-notice",
        "180 s",
        "ECI spot interruption notice (README 'Spot interruptions'; ECI docs: about 3 minutes); `api-evict` evicts at the notice",
        True,
    ),
    Parameter("--seldon-delay", "1 s", "assumption: the operator reconciles its Deployment within a second of a change", True),
    Parameter("--start", DEFAULT_START, "fixed for reproducible runs (a Monday, midnight UTC)", False),
    Parameter(
        "--controller-tz",
        DEFAULT_CONTROLLER_TZ,
        "kubernetes-cronhpa-controller config/deploy/deploy.yaml and chart values `controller.timezone` (`TZ`)",
        False,
    ),
)


@dataclass(frozen=True)
class World:
    sync_period: int = int(DEFAULT_SYNC_PERIOD)
    tolerance: float = DEFAULT_TOLERANCE
    downscale_window: float = DEFAULT_DOWNSCALE_WINDOW
    metric_window: float = 15.0
    metric_delay: float = 10.0
    startup_ecs: float = 30.0
    startup_eci: float = 150.0
    startup_eci_cached: float = 45.0
    model_load: float = 20.0
    startup_override: float | None = None
    replica_qps: float | None = None
    spot_reclaims: float = 0.0
    spot_notice: float = 180.0
    seed: int = 0
    seldon_delay: int = 1
    start: dt.datetime = START
    controller_tz: str = DEFAULT_CONTROLLER_TZ

    @property
    def exact(self) -> bool:
        """The mode for exactness: the HPA reads the demand at each sync, pods are Ready at once, start at minReplicas."""
        return self.metric_delay == 0 and self.metric_window == 0 and self.startup_override == 0

    def startup(self, kind: str) -> float:
        """Seconds from pod creation to Ready (model loaded) for a unit kind."""
        if self.startup_override is not None:
            return self.startup_override
        base = {
            KIND_ECS: self.startup_ecs,
            KIND_SOURCE: self.startup_ecs,
            KIND_ECI: self.startup_eci,
            KIND_ECI_CACHED: self.startup_eci_cached,
        }[kind]
        return base + self.model_load
