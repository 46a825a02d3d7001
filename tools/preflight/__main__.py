"""``python -m tools.preflight``: see :mod:`tools.preflight.cli`."""

from tools.mockrun import one_shot
from tools.preflight.cli import main

one_shot(main)
