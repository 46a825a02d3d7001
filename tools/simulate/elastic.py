"""Where the pods go: the ElasticWorkload's split of its replica count and the ResourcePolicy's ordered placement.

ElasticWorkload (``ack-kubernetes-elastic-workload``, closed source): ACK's documentation ("Schedule pods to ECI with
Elastic Workload", https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/install-ack-kubernetes-elastic-workload)
says the controller clones the source workload once per elastic unit and "dynamically allocates replicas between the
source workload and the elastic unit" as the total changes; its example keeps up to ``sourceTarget.max`` replicas on
the source and schedules the replicas beyond it to the unit. Alibaba Cloud's own comparison of the four ACK elastic
plugins (https://www.besthub.dev/articles/unlocking-serverless-elastic-scaling-elasticworkload-workloadspread-uniteddeployment-resourcepolicy-explained-6dd998525d94,
Alibaba Cloud Native) states the order: "forward expansion fills earlier units first, while reverse contraction
removes replicas from later units first". The documents do not say how ``min`` is honoured when the total is below
the sum of the minima; :func:`split` assumes the minima are served first, in order (source, then the units), then
the rest fills each part up to its ``max`` in order, so scale-in removes in exactly the reverse order. Replicas beyond
the sum of the maxima go nowhere (listed as an assumption).

ResourcePolicy (ACK scheduler, closed source): "Custom elastic resource priority scheduling"
(https://www.alibabacloud.com/help/en/document_detail/398680.html): "during scale-out, pods are scheduled to resource
units in the order you define; during scale-in, pods are removed in reverse order", a unit with ``max`` takes no more
pods than that, and the order of scale-in is best effort. :func:`place` puts a new pod in the first unit with room
and :func:`remove_order` takes pods from the last unit first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def split(replicas: int, bounds: Sequence[tuple[int, float]]) -> list[int]:
    """The ElasticWorkload's allocation of ``replicas`` over ``(min, max)`` parts in order (source first)."""
    out = [0] * len(bounds)
    left = replicas
    for i, (low, high) in enumerate(bounds):
        take = min(left, low, int(high) if math.isfinite(high) else low)
        out[i] = take
        left -= take
    for i, (_, high) in enumerate(bounds):
        if left <= 0:
            break
        room = (int(high) if math.isfinite(high) else left) - out[i]
        take = max(0, min(left, room))
        out[i] += take
        left -= take
    return out


def place(counts: Sequence[int], maxima: Sequence[float]) -> int | None:
    """The unit a new pod is scheduled to: the first with fewer pods than its ``max`` (None: pending, no room)."""
    for i, (count, high) in enumerate(zip(counts, maxima, strict=True)):
        if count < high:
            return i
    return None


def remove_order(counts: Sequence[int]) -> int | None:
    """The unit the next removed pod comes from: the last unit that has pods."""
    for i in range(len(counts) - 1, -1, -1):
        if counts[i] > 0:
            return i
    return None
