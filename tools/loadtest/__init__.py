"""Load-test a model's Seldon endpoint and watch its pods scale (the recipe's steps 8 and 9).

``python -m tools.loadtest --stack dev --pattern step:5:60:60 --duration 600 --watch --out observed``

Modules, one concern each:

- :mod:`tools.loadtest.cli` — the command line;
- :mod:`tools.loadtest.target` — the prediction URL (``--url`` or the stack's outputs) and the watch target;
- :mod:`tools.loadtest.payload` — request bodies (Seldon REST ``{"data": {"ndarray": ...}}``) and response checks;
- :mod:`tools.loadtest.generator` — the open-loop request schedule and sender;
- :mod:`tools.loadtest.report` — progress line, percentiles, ``latency.csv``, ``summary.json``, ``loadtest.png``;
- :mod:`tools.loadtest.watch` — pods and HPA of the predictor (kubernetes watch API), ``timeline.csv``;
- :mod:`tools.loadtest.dashboard` — the final table: pods per unit, spot vs on-demand, creation to Ready.
"""
