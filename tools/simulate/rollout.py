"""A Deployment's RollingUpdate of a new pod template (a model-version change), as kube-controller-manager does it.

Transcribed from kubernetes/kubernetes ``pkg/controller/deployment`` (the stacks target 1.34; read from the indexed
main branch, see the README's "not verified" list):

- ``util/deployment_util.go`` ``ResolveFenceposts``: maxSurge rounds a percentage up, maxUnavailable down; both 0
  makes maxUnavailable 1; ``NewRSNewReplicas``: the new ReplicaSet grows to at most ``replicas + maxSurge`` pods
  counted over every ReplicaSet's ``spec.replicas``, and never past ``replicas``;
- ``rolling.go`` ``reconcileNewReplicaSet`` then ``reconcileOldReplicaSets``: ``maxScaledDown = allPods -
  (replicas - maxUnavailable) - (new spec - new available)``; ``cleanupUnhealthyReplicas`` removes old pods that are
  not available first, then ``scaleDownOldReplicaSetsForRollingUpdate`` removes ``available - minAvailable``
  more.

Pods are available when Ready (``minReadySeconds`` 0). Each simulated second repeats both steps until nothing changes
(the controller re-syncs on every ReplicaSet change, well within a second). A change of ``replicas`` during the
rollout goes through the same rules (the controller's proportional split of a scaling event over the ReplicaSets,
``sync.go`` ``scale``, is not modelled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def scaled(value: int | str, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: an int as is, ``"N%"`` of ``total`` rounded up or down."""
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def fenceposts(max_surge: int | str, max_unavailable: int | str, replicas: int) -> tuple[int, int]:
    """``ResolveFenceposts``: (surge, unavailable); both 0 -> unavailable 1."""
    surge = scaled(max_surge, replicas, True)
    unavailable = scaled(max_unavailable, replicas, False)
    if surge == 0 and unavailable == 0:
        return 0, 1
    return surge, unavailable


@dataclass
class RollingState:
    """The ``spec.replicas`` of the new and the old ReplicaSet of one Deployment during a rollout."""

    new_spec: int
    old_spec: int

    def step(self, replicas: int, new_ready: int, old_ready: int, surge: int, unavailable: int) -> None:
        """One ``rolloutRolling``: scale the new ReplicaSet up, then the old one down."""
        # reconcileNewReplicaSet / NewRSNewReplicas
        if self.new_spec > replicas:
            self.new_spec = replicas
        elif self.new_spec < replicas:
            current = self.new_spec + self.old_spec
            most = replicas + surge
            if current < most:
                self.new_spec += min(most - current, replicas - self.new_spec)
        # reconcileOldReplicaSets
        if self.old_spec == 0:
            return
        min_available = replicas - unavailable
        max_scaled_down = self.old_spec + self.new_spec - min_available - (self.new_spec - new_ready)
        if max_scaled_down <= 0:
            return
        cleanup = min(max_scaled_down, self.old_spec - old_ready)  # cleanupUnhealthyReplicas
        self.old_spec -= cleanup
        down = old_ready + new_ready - min_available  # scaleDownOldReplicaSetsForRollingUpdate
        if down > 0:
            self.old_spec -= min(self.old_spec, down)

    def settle(self, replicas: int, new_ready: int, old_ready: int, surge: int, unavailable: int) -> None:
        """:meth:`step` until nothing changes: the controller syncs again on every ReplicaSet change, within the
        second (new pods are not Ready yet, old pods removed were counted as they were)."""
        before: tuple[int, int] | None = None
        while before != (self.new_spec, self.old_spec):
            before = (self.new_spec, self.old_spec)
            self.step(replicas, new_ready, old_ready, surge, unavailable)
            old_ready = min(old_ready, self.old_spec)

    def done(self, replicas: int, new_ready: int) -> bool:
        """``DeploymentComplete``: every pod is new and available, no old pod left."""
        return self.old_spec == 0 and self.new_spec == replicas and new_ready == replicas
