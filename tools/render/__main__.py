"""``python -m tools.render``: see :mod:`tools.render.cli`."""

from tools.mockrun import one_shot
from tools.render.cli import main

one_shot(main)
