"""What the HPA reads for ``sls_ingress_qps``: alibaba-cloud-metrics-adapter's SLS query over the Ingress logs.

From AliyunContainerService/alibaba-cloud-metrics-adapter (master 93cf5f14, 2025-05-06; the catalog chart installs
1.3.3, whose source is not tagged in the repository):

- ``pkg/metrics/sls/sls.go`` ``getSLSParams``: ``sls.query.interval`` defaults to and is at least ``MIN_INTERVAL``
  = 15 s, ``sls.query.delay`` defaults to 10 s (``DelaySeconds: 10``), ``sls.query.max_retry`` to 5.
- ``pkg/metrics/sls/ingress.go`` ``getSLSIngressQuery``: for ``sls_ingress_qps`` the query is
  ``SELECT count(1) / <interval> ... WHERE __time__ >= now - delay - interval and __time__ < now - delay``: the mean
  request rate over the ``interval`` seconds that ended ``delay`` seconds before the HPA asked.
- ``getSLSIngressMetrics``: the value is parsed as a float and returned as ``resource.NewQuantity(int64(val))``: a
  whole number of requests per second (truncated), so the HPA's usage is that number times 1000 milli-units.

The simulator counts the requests of the window from the trace (the demand, served or not: the Ingress logs every
request it receives) and assumes SLS has ingested a log line by the time the window closes (``delay`` covers it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class MetricPipeline:
    """The External metric value at any instant, from the per-second demand and its prefix sums (O(1) per read)."""

    def __init__(self, demand: Sequence[float], window: float, delay: float) -> None:
        self.window = window
        self.delay = delay
        self.demand = demand
        self.cumulative = [0.0]
        total = 0.0
        for q in demand:
            total += q
            self.cumulative.append(total)

    def _requests_until(self, t: float) -> float:
        """Requests in [0, t); before 0 the demand is the trace's first value (the steady state the run starts from)."""
        if t <= 0:
            return t * self.demand[0] if self.demand else 0.0
        n = len(self.demand)
        if t >= n:
            return self.cumulative[n] + (t - n) * (self.demand[-1] if self.demand else 0.0)
        whole = math.floor(t)
        return self.cumulative[whole] + (t - whole) * self.demand[whole]

    def qps(self, t: float) -> float:
        """The value the adapter returns at ``t``: ``int64(count / window)`` (or the demand at ``t`` when the window is 0)."""
        if self.window <= 0:
            at = t - self.delay
            index = min(max(math.floor(at), 0), len(self.demand) - 1)
            return self.demand[index]
        end = t - self.delay
        count = self._requests_until(end) - self._requests_until(end - self.window)
        return float(math.floor(count / self.window + 1e-9))

    def milli(self, t: float) -> int:
        """``Quantity.MilliValue()`` of :meth:`qps` (rounded up, as the API rounds a finer quantity)."""
        return math.ceil(self.qps(t) * 1000 - 1e-9)
