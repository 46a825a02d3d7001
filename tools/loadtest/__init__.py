"""Load-test a model's endpoint (Seldon, KServe v1 or v2) and watch its pods scale (the recipe's steps 8 and 9).

``python -m tools.loadtest --stack dev --pattern step:5:60:60 --duration 600 --watch --out observed``

Modules, one concern each:

- :mod:`tools.loadtest.cli` — the command line;
- :mod:`tools.loadtest.target` — the prediction URL (``--url`` or the stack's outputs) and the watch target;
- :mod:`tools.loadtest.payload` — request bodies per protocol, answer checks, which version answered;
- :mod:`tools.loadtest.generator` — the open-loop request schedule and sender;
- :mod:`tools.loadtest.report` — progress line, percentiles, ``latency.csv``, ``summary.json``, ``loadtest.png``;
- :mod:`tools.loadtest.output` — writes that survive a reader gone away, and noticing it (so the run stops);
- :mod:`tools.loadtest.redact` — credentials of the URL and headers kept out of every output;
- :mod:`tools.loadtest.watch` — pods and HPA of the predictor (kubernetes watch API), ``timeline.csv``;
- :mod:`tools.loadtest.dashboard` — the final table: pods per unit, spot vs on-demand, creation to Ready.
"""
