"""``python -m tools.simulate``: see :mod:`tools.simulate.cli`."""

from tools.simulate.cli import main

raise SystemExit(main())
