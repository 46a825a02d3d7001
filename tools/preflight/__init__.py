"""Preflight: a read-only check of the user's live cluster against what a stack needs, run before ``pulumi up``.

Split by concern: :mod:`~tools.preflight.client` (the official Kubernetes client, GET only),
:mod:`~tools.preflight.plan` (the stack's config, prerequisites and rendered objects),
:mod:`~tools.preflight.schema` (rendered fields a live CRD would prune), :mod:`~tools.preflight.checks` (the checks),
:mod:`~tools.preflight.report` (rows, table, JSON) and :mod:`~tools.preflight.cli`. What each check needs comes
from :mod:`stackconfig.prerequisites`.
"""
