"""``python -m tools.preflight``: see :mod:`tools.preflight.cli`.

Unlike the render command this one exits normally (not ``tools.mockrun.one_shot``'s ``os._exit``): the Kubernetes
client writes a kubeconfig's embedded certificate and key to temporary files and removes them in an ``atexit``
handler (``kubernetes/config/kube_config.py``, ``_cleanup_temp_files``), which ``os._exit`` would skip.
"""

import sys

from tools.preflight.cli import main

sys.exit(main())
