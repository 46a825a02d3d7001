"""``python -m tools.loadtest``: see :mod:`tools.loadtest.cli`.

Once :func:`~tools.loadtest.cli.main` returns, every file is written and closed; the process then ends with
``os._exit`` after flushing stdout and stderr, skipping the interpreter's teardown of matplotlib, aiohttp and the
kubernetes client (measured at 0.75 s on a busy machine), so that a stopped run is gone right after its report.
"""

import contextlib
import os
import sys

from tools.loadtest.cli import main

code = main()
for stream in (sys.stdout, sys.stderr):
    with contextlib.suppress(OSError, ValueError, AttributeError):  # None when started with it closed
        stream.flush()
os._exit(code)
