"""``python -m tools.loadtest``: see :mod:`tools.loadtest.cli`."""

from tools.loadtest.cli import main

raise SystemExit(main())
