"""The names the Seldon Core v1 operator gives what it creates for a SeldonDeployment.

A copy of the derivation in the program's ``components/naming.py`` (``seldon_names``), extended with the
overrides the operator honours (a componentSpec ``metadata.name``; the predictor annotation ``seldon.io/svc-name``;
the operator's ``DEPLOYMENT_NAME_AS_PREFIX``, read from the stack's seldon-core-operator Helm release). It is copied,
not imported: ``pulumi preview --policy-pack policies`` runs this pack from its own directory, where the program's
``components`` package is not importable, and a published pack has no program beside it at all.
``tests/test_policies.py`` checks that the copy agrees with the program's function.

Operator source (Seldon Core v1, ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``):
``GetDeploymentName`` is ``<sdep>-<predictor>-<componentSpec index>-<metadata.name or container names joined
by ->``; ``GetPredictorKey`` is the ``seldon.io/svc-name`` annotation or ``<sdep>-<predictor>``; either, past
63 characters, becomes ``seldon-<md5 hex of the name>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

MAX_NAME = 63
HTTP_PORT = 8000
GRPC_PORT = 5001
SVC_NAME_ANNOTATION = "seldon.io/svc-name"


def limit(name: str) -> str:
    """Seldon hashes a name longer than a DNS label: ``seldon-<md5 hex>``."""
    if len(name) > MAX_NAME:
        return "seldon-" + hashlib.md5(name.encode()).hexdigest()
    return name


def deployment_name(
    sdep: str,
    predictor: str,
    index: int,
    containers: Sequence[str],
    component_name: str | None = None,
    name_as_prefix: bool = False,
) -> str:
    """The Deployment of one componentSpec; ``name_as_prefix``: the operator runs with ``DEPLOYMENT_NAME_AS_PREFIX=true``
    (chart value ``manager.deploymentNameAsPrefix``), so past 63 characters it is ``<sdep>-<md5>`` when that fits
    (``GetDeploymentName`` lines 135-142)."""
    suffix = component_name if component_name else "-".join(containers)
    name = f"{sdep}-{predictor}-{index}-{suffix}"
    if len(name) > MAX_NAME and name_as_prefix:
        prefixed = f"{sdep}-{hashlib.md5(name.encode()).hexdigest()}"
        if len(prefixed) <= MAX_NAME:
            return prefixed
    return limit(name)


def name_as_prefix(values: Mapping[str, Any]) -> bool:
    """Whether a seldon-core-operator release's values turn ``DEPLOYMENT_NAME_AS_PREFIX`` on: the chart renders
    ``'{{ .Values.manager.deploymentNameAsPrefix }}'`` and the operator compares it with ``"true"``."""
    manager = values.get("manager")
    value = manager.get("deploymentNameAsPrefix") if isinstance(manager, Mapping) else None
    return value is True or value == "true"


def service_name(sdep: str, predictor: str, annotations: Mapping[str, Any] | None = None) -> str:
    """The predictor's Service (the Ingress backend)."""
    custom = (annotations or {}).get(SVC_NAME_ANNOTATION)
    if isinstance(custom, str) and custom:
        return custom
    return limit(f"{sdep}-{predictor}")


def route(namespace: str, service: str, port: int | str) -> str:
    """The ``sls.ingress.route`` label ACK's metrics adapter gives an Ingress backend."""
    return f"{namespace}-{service}-{port}"
