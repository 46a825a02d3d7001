"""The Ingress in front of the model: TLS for every host."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from .framework import ADVISORY, PackResourcePolicy, Res
from .kubernetes import is_kind
from .values import dig, entries, known, mapping, text


def _covered(host: str, tls_hosts: list[str]) -> bool:
    """``a.example.com`` is covered by itself or by ``*.example.com`` (a wildcard spans one label)."""
    for pattern in tls_hosts:
        if host == pattern:
            return True
        if pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern) and host.count(".") == pattern.count("."):
            return True
    return False


def tls_problems(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    tls = entries(dig(res.props, "spec", "tls"))
    if not tls:
        yield f"{res.label} has no spec.tls: predictions (and their inputs) travel in plain HTTP."
        return
    tls_hosts = [h for entry in tls for h in (text(x) for x in entries(mapping(entry).get("hosts"))) if h]
    for rule in entries(dig(res.props, "spec", "rules")):
        host = text(known(mapping(rule).get("host")))
        if host and not _covered(host, tls_hosts):
            yield f"{res.label}: host {host!r} is not in any spec.tls[].hosts, so it is served without TLS."


ingress_tls = PackResourcePolicy(
    name="ingress-tls",
    description=(
        "Ingresses serve every host over TLS. Fix: set the model's tlsSecret (a kubernetes.io/tls Secret for its host) "
        "so the Ingress gets spec.tls with that host."
    ),
    level=ADVISORY,
    applies=lambda t: is_kind(t, "Ingress"),
    check=tls_problems,
    remediation="Add spec.tls: [{hosts: [<host>], secretName: <tls secret>}] (model config host + tlsSecret).",
)
