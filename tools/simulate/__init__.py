"""Control-loop simulator: what the cluster will do with a stack's objects under a load trace, before ``pulumi up``.

``python -m tools.simulate --stack dev --pattern step:10:100:60 --out /tmp/sim`` reads the objects the program
renders (or ``--manifests DIR``), replays a load trace second by second through models of the four controllers that
decide the pod count (each modelled from its source at the version the stacks deploy, cited in its module):

- :mod:`tools.simulate.hpa`: kube-controller-manager 1.34's HorizontalPodAutoscaler for an External AverageValue
  metric, fed by the metrics pipeline of :mod:`tools.simulate.metrics` (alibaba-cloud-metrics-adapter, SLS);
- :mod:`tools.simulate.elastic`: the ElasticWorkload's split of its replicas over the source Deployment and the
  ordered units, and the ResourcePolicy's ordered placement;
- :mod:`tools.simulate.seldon`: the Seldon Core 1.17.1 operator's replica reconciliation;
- :mod:`tools.simulate.cronhpa`: the CronHPA controller's ``ScaleHPA`` at each schedule;
- :mod:`tools.simulate.rollout`: with ``--rollout T``, the Deployment controller's RollingUpdate of a new model
  version;

and writes ``timeline.csv``, ``summary.json`` and ``scaling.png`` (:mod:`tools.simulate.report`,
:mod:`tools.simulate.plot`). Exit status: 0, 2 (bad input), 3 (a controller fight), 4 (the units can never serve
the trace's peak), 5 (``--rollout``: the version change leaves demand unmet); 3 wins over 4, 4 over 5.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_FIGHT = 3
EXIT_UNREACHABLE = 4
EXIT_ROLLOUT = 5


class SimulateError(Exception):
    """Bad input (objects, options, files): printed as ``error: <message>`` with exit status 2, never a traceback."""
