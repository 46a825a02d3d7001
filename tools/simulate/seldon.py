"""The Seldon Core operator's replica reconciliation.

From seldon-core v1.17.1, ``operator/controllers/seldondeployment_controller.go``:

- ``createComponents``: for a component without ``kedaSpec`` or ``hpaSpec`` the desired Deployment gets
  ``componentSpecs[j].replicas``, else ``predictors[i].replicas``, else ``spec.replicas`` (nil when none is set).
- ``createDeployments``: replica differences are ignored only when the Deployment has a Seldon-owned HPA or KEDA
  object (``deploymentHasHpa``/``deploymentHasKeda``); otherwise a differing count makes the patch non-empty and the
  operator updates the Deployment with the desired spec, so the count written by anyone else is replaced by the
  SeldonDeployment's. When the desired ``replicas`` is nil the live count is kept
  (``if deploy.Spec.Replicas == nil { found.Spec.Replicas = desiredDeployment.Spec.Replicas }``).
- ``SetupWithManager``: the controller ``Owns(&appsv1.Deployment{})``, so every change to its Deployment (a new
  replica count included) queues a reconcile of the SeldonDeployment: the write-back follows each change within the
  reconcile latency (``--seldon-delay``, an assumption).

A fight is two writers setting the same object's replica count back and forth (A, then B with another value, then A
again, within a minute or two sync periods, at least twice): :class:`FightDetector`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.simulate.objects import SeldonInfo


def desired_replicas(info: SeldonInfo) -> int | None:
    """The count the operator writes on its Deployment at every reconcile, or None when it keeps the live count."""
    if info.owns_scaling:
        return None
    return info.replicas


FIGHT_MIN_REVERSALS = 2
"""A fight is at least this many reversals on one object between the same two writers."""


@dataclass
class Fight:
    obj: str
    writers: tuple[str, str]
    first_t: int
    reversals: int = 0
    values: list[int] = field(default_factory=list)


@dataclass
class FightDetector:
    """Records every write of a replica count. A reversal is writer A setting a count within ``window`` seconds of its
    previous write, after writer B replaced that count with another; two reversals between the same pair on the same
    object make a fight. (A CronHPA raising the count once a day and the HPA moving it later is not a fight.)"""

    window: float = 60.0
    history: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    fights: dict[tuple[str, str, str], Fight] = field(default_factory=dict)

    def write(self, obj: str, writer: str, value: int, t: int) -> None:
        history = self.history.setdefault(obj, [])
        if history and history[-1][0] == writer:
            history[-1] = (writer, value, t)
            return
        if len(history) >= 2:
            before, last = history[-2], history[-1]
            if before[0] == writer and last[1] != before[1] and value != last[1] and t - before[2] <= self.window:
                pair = (min(writer, last[0]), max(writer, last[0]))
                key = (obj, pair[0], pair[1])
                fight = self.fights.get(key)
                if fight is None:
                    fight = self.fights[key] = Fight(obj, pair, t, values=[last[1]])
                fight.reversals += 1
                if len(fight.values) < 6:
                    fight.values.append(value)
        history.append((writer, value, t))
        del history[:-2]

    def report(self) -> list[Fight]:
        found = [f for f in self.fights.values() if f.reversals >= FIGHT_MIN_REVERSALS]
        return sorted(found, key=lambda f: f.first_t)
