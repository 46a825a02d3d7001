"""Offline render of a stack: what ``pulumi up`` would register, without a cloud, a cluster or the Pulumi CLI.

``python -m tools.render --stack dev`` runs the program under Pulumi's mocks (:mod:`tools.mockrun`) with
the stack's config, every secret replaced by a visible placeholder such as ``[secret:ossAccessKeyId]``, and writes:

- ``NNN-<kind>-<name>.yaml``: one file per Kubernetes object, numbered in an order ``kubectl apply -f <dir>`` accepts
  (Namespace, Secret, PersistentVolume before the claims, the custom resources after what they reference, ...);
- ``resources.md``: every resource (type, name, parent, options and the inputs that matter, secrets masked) and the
  stack outputs as ``pulumi stack output`` would show them after a deployment;
- ``meta/``: the same data as JSON for ``--diff`` (``resources.json``, ``outputs.json``) and the marker
  ``render.json`` that says which files the render wrote (so a later render may replace them, and nothing else).

``--check`` validates every object offline (:func:`tools.validate.validate_object`), ``--diff OTHER_DIR`` prints
what changed between another render and this one, resource by resource and field by field.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.settings import get_root_resource

from stackconfig import PROJECT, ConfigError
from tools.mockrun import PLACEHOLDER_KUBECONFIG, SECRET_MASK, Run, run_program
from tools.render.model import (
    KNOWN_AFTER_DEPLOY,
    MARKER,
    OUTPUTS_JSON,
    PROJECT_DIR,
    RENDER_FORMAT,
    RESOURCES_JSON,
    RESOURCES_MD,
    TOOL,
    Manifest,
    Rendered,
    StackConfigInvalid,
    UnknownStack,
    display_key,
    dump_yaml,
)
from tools.render.report import _resources_markdown, _tree_order
from tools.stackfile import StackFileError, stack_file_config

_PLACEHOLDER = re.compile(r"\[secret:[A-Za-z0-9_.-]+\]")

KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
"""Helm's install order for built-in kinds. Custom resources come after them and HorizontalPodAutoscalers last
(they may target a custom resource); on top of that, an object always follows the objects it depends on."""


def placeholder(key: str) -> str:
    """The visible stand-in for a secret config value: ``[secret:<key>]``."""
    return f"[secret:{key}]"


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _short_key(key: str) -> str:
    return key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else key


# --------------------------------------------------------------------------------------------------- config


def _stack_config(stack: str, project_dir: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        return stack_file_config(_stack_path(stack, project_dir))
    except StackFileError as error:
        raise StackConfigInvalid(str(error)) from None


def _stack_path(stack: str, project_dir: Path) -> Path:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", stack) or not path.is_file():
        raise UnknownStack(stack, project_dir)
    return path


def needed_secrets(config: Mapping[str, Any]) -> list[str]:
    """Secret keys the program requires for this config (the README has the user set them with ``--secret``)."""
    if config.get(f"{PROJECT}:volumeAuth") == "accessKey":
        return ["ossAccessKeyId", "ossAccessKeySecret"]
    return []


def missing_secrets(stack: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    """Secret keys the stack needs that its stack file does not hold (CI sets them from repository secrets)."""
    config, _ = _stack_config(stack, project_dir)
    return [key for key in needed_secrets(config) if f"{PROJECT}:{key}" not in config]


def render_config(
    stack: str,
    config_override: Mapping[str, Any] | None = None,
    secret_override: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> tuple[dict[str, Any], list[str]]:
    """The config a render runs with: the stack file's, the overrides, and a placeholder for every secret.

    ``config_override`` maps keys (``eci-inference:`` optional) to values, ``None`` removing the key;
    ``secret_override`` sets secret keys as ``pulumi config set --secret`` would. Whatever a secret's value,
    the program only ever sees ``[secret:<key>]``: a render cannot leak what it never had.
    """
    config, secret_keys = _stack_config(stack, project_dir)
    for key, value in (config_override or {}).items():
        full = _full_key(key)
        if value is None:
            config.pop(full, None)
            if full in secret_keys:
                secret_keys.remove(full)
        else:
            config[full] = value
    for key, value in (secret_override or {}).items():
        full = _full_key(key)
        config[full] = value
        if full not in secret_keys:
            secret_keys.append(full)
    for key in needed_secrets(config):
        full = _full_key(key)
        if full not in config:
            config[full] = placeholder(key)
            secret_keys.append(full)
    for full in secret_keys:
        config[full] = placeholder(_short_key(full))
    return config, sorted(secret_keys)


# --------------------------------------------------------------------------------------------------- render


def _reveal(masked: Any, plain: Any) -> Any:
    """``masked`` with each ``[secret]`` opened up only as far as it holds visible placeholders.

    A secret whose plain value is ``[secret:<key>]`` shows that placeholder (so the Secret object keeps its shape);
    any other string under a secret stays ``[secret]``, whatever the program did with it.
    """
    if masked == SECRET_MASK and plain != SECRET_MASK:
        return _only_placeholders(plain)
    if isinstance(masked, Mapping) and isinstance(plain, Mapping):
        return {k: _reveal(v, plain.get(k)) for k, v in masked.items()}
    if isinstance(masked, list) and isinstance(plain, list) and len(masked) == len(plain):
        return [_reveal(m, p) for m, p in zip(masked, plain, strict=True)]
    return masked


def _only_placeholders(value: Any) -> Any:
    if isinstance(value, str):
        return value if _PLACEHOLDER.fullmatch(value) else SECRET_MASK
    if isinstance(value, Mapping):
        return {k: _only_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_only_placeholders(v) for v in value]
    return SECRET_MASK if value is not None else None


class _Unknowns:
    """Marks values the mocks made up: the ids they return (``<name>-id``) and the cluster credential."""

    def __init__(self, run: Run) -> None:
        self.ids = {f"{r.name}-id" for r in run.resources if r.custom}

    def _made_up(self, text: str) -> bool:
        if text == PLACEHOLDER_KUBECONFIG:
            return True
        if "-id" not in text:  # nearly every string: no id can be in it
            return False
        return any(text == i or (i in text and re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", text)) for i in self.ids)

    def __call__(self, value: Any, local: str = "") -> Any:
        """``value`` with made-up values marked and, when ``local`` is given, local paths made relative to it."""
        if isinstance(value, str):
            return KNOWN_AFTER_DEPLOY if self._made_up(value) else value.removeprefix(local) if local else value
        if isinstance(value, Mapping):
            return {k: self(v, local) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, local) for v in value]
        return value


_OUTPUT = "output"


def export_shape(exported: Mapping[str, Any]) -> dict[str, Any]:
    """What the program exported, before resolution: ``"output"`` for an Output, ``("plain", value)`` otherwise.

    An Output that resolves to nothing under the mocks is a value the cloud computes (an endpoint, say): the
    serialised outputs drop it, this shape remembers it was exported.
    """

    def shape(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): shape(v) for k, v in value.items()}
        return _OUTPUT if isinstance(value, pulumi.Output) else ("plain", value)

    return {str(k): shape(v) for k, v in exported.items()}


def _with_unresolved(values: Any, shape: Any) -> Any:
    """``values`` plus :data:`KNOWN_AFTER_DEPLOY` wherever an exported Output resolved to nothing."""
    if isinstance(shape, Mapping):
        given = values if isinstance(values, Mapping) else {}
        merged = {k: _with_unresolved(given.get(k), v) for k, v in shape.items()}
        return {**given, **merged}
    if values is None and shape == _OUTPUT:
        return KNOWN_AFTER_DEPLOY
    return values


def _resource_key(urn: str) -> str:
    """A URN without its stack and project: the same resource in two renders has the same key."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 and parts[0].startswith("urn:pulumi:") else urn


def _ordered(value: Any) -> Any:
    """Keys in a stable, readable order: apiVersion, kind, metadata, name, namespace first, the rest sorted."""
    first = ("apiVersion", "kind", "metadata", "name", "namespace")
    if isinstance(value, Mapping):
        keys = [k for k in first if k in value] + sorted(k for k in value if k not in first)
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _rank(kind: str, api_version: str) -> int:
    if kind == "HorizontalPodAutoscaler":
        return len(KIND_ORDER) + 1
    if kind in KIND_ORDER and "." not in api_version.rpartition("/")[0].removesuffix(".k8s.io"):
        return KIND_ORDER.index(kind)
    return len(KIND_ORDER)


def _apply_order(objects: dict[str, dict[str, Any]], depends: dict[str, set[str]]) -> list[str]:
    """Keys of ``objects`` so that each follows what it depends on; ties by kind rank, namespace, name."""

    def sort_key(key: str) -> tuple[int, str, str, str]:
        body = objects[key]
        meta = body.get("metadata") or {}
        return (_rank(str(body.get("kind")), str(body.get("apiVersion"))), meta.get("namespace", ""), meta.get("name", ""), key)

    # Kahn's algorithm with a heap: O((objects + edges) log objects), the same order as always taking the smallest
    # ready key.
    keys = {k: sort_key(k) for k in objects}
    waiting = {k: set(depends.get(k, set())) & set(objects) - {k} for k in objects}
    dependents: dict[str, list[str]] = {k: [] for k in objects}
    for key, deps in waiting.items():
        for dep in deps:
            dependents[dep].append(key)
    heap = [keys[k] for k, deps in waiting.items() if not deps]
    heapq.heapify(heap)
    order: list[str] = []
    while waiting:
        if not heap:  # a cycle cannot come from Pulumi; keep going rather than lose objects
            heap = [min(keys[k] for k in waiting)]
        chosen = heapq.heappop(heap)[-1]
        if chosen not in waiting:
            continue
        order.append(chosen)
        del waiting[chosen]
        for follower in dependents[chosen]:
            pending = waiting.get(follower)
            if pending is not None and chosen in pending:
                pending.discard(chosen)
                if not pending:
                    heapq.heappush(heap, keys[follower])
    return order


def _transitive(run: Run) -> dict[str, set[str]]:
    """Every resource each resource depends on, directly or through others (by URN)."""
    direct = {r.urn: set(r.dependencies) for r in run.resources}
    closed: dict[str, set[str]] = {}

    def visit(urn: str, seen: frozenset[str]) -> set[str]:
        if urn in closed:
            return closed[urn]
        found: set[str] = set()
        for dep in direct.get(urn, set()):
            if dep not in seen:
                found |= {dep} | visit(dep, seen | {urn})
        closed[urn] = found
        return found

    for urn in direct:
        visit(urn, frozenset())
    return closed


def _file_name(index: int, width: int, body: Mapping[str, Any]) -> str:
    name = str((body.get("metadata") or {}).get("name", "unnamed"))
    safe = re.sub(r"[^a-z0-9.-]+", "-", f"{body.get('kind', 'object')}-{name}".lower()).strip("-")
    return f"{index:0{width}d}-{safe}.yaml"


def _manifest_text(stack: str, record: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    header = [f"# {record['type']} {record['name']} (stack {stack}), rendered offline by `python -m {TOOL}`."]
    text = dump_yaml(body)
    # A placeholder (``[secret...]``) is plain printable text, so YAML writes it as it is, quoted or not.
    if "[secret" in text:
        header.append("# Secret values are placeholders ([secret:<key>] or [secret]); Pulumi sets the real ones.")
    return "\n".join(header) + "\n" + text


def _json_lines(items: list[Any]) -> str:
    """A JSON array with one item per line: json's C encoder only runs without ``indent`` (3x faster at 2,000 items),
    and a line per resource still diffs readably."""
    if not items:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(item, sort_keys=True) for item in items) + "\n]\n"


def render_run(run: Run, stack: str, project_dir: Path = PROJECT_DIR, exported: Mapping[str, Any] | None = None) -> Rendered:
    """Turn one mock run of the program into the files of a render.

    ``exported`` is the program's :func:`export_shape`; without it an output that resolved to nothing is left out.
    """
    unknown = _Unknowns(run)
    local = f"{project_dir.resolve()}/"
    by_urn = {r.urn: r for r in run.resources}

    def name_of(urn: str) -> str:
        found = by_urn.get(urn)
        return found.name if found is not None else ""

    def provider_name(reference: str) -> str:
        """``urn:pulumi:<stack>::<project>::<type>::<name>::<id>`` -> ``<name>`` (the id is the mocks')."""
        parts = reference.split("::")
        return parts[3] if len(parts) >= 4 else ""

    records: dict[str, dict[str, Any]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for r in run.resources:
        key = _resource_key(r.urn)
        # Local paths (a model file's ``source``) become relative to the project, so that checkouts agree.
        inputs = unknown(_reveal(r.masked, r.inputs) if r.secret_values else r.masked, local)
        manifest = replace(r, inputs=inputs).kubernetes_manifest
        shown = _ordered(manifest if manifest is not None else inputs)
        if manifest is not None:
            bodies[key] = shown
        records[key] = {
            "key": key,
            "type": r.type,
            "name": r.name,
            "parent": _resource_key(r.parent) if r.parent in by_urn else "",
            "custom": r.custom,
            "file": None,
            "options": {
                "protect": r.protect,
                "ignoreChanges": sorted(r.ignore_changes),
                **({"replaceOnChanges": sorted(r.replace_on_changes)} if r.replace_on_changes else {}),
                **({"deleteBeforeReplace": True} if r.delete_before_replace else {}),
                "dependsOn": sorted(display_key(_resource_key(d)) for d in r.dependencies),
                "provider": provider_name(r.provider),
            },
            "inputs": shown,
        }

    transitive = _transitive(run)
    depends = {_resource_key(u): {_resource_key(d) for d in deps} for u, deps in transitive.items()}
    order = _apply_order(bodies, depends)
    width = max(3, len(str(len(order))))
    manifests = []
    for index, key in enumerate(order, start=1):
        file = _file_name(index, width, bodies[key])
        records[key]["file"] = file
        manifests.append(Manifest(file=file, key=key, body=bodies[key]))

    resources = _tree_order(records)
    outputs = _ordered(_with_unresolved(unknown(_reveal(run.masked_outputs, run.outputs), local), exported or {}))

    files: dict[str, str] = {}
    for m in manifests:
        files[m.file] = _manifest_text(stack, records[m.key], m.body)
    files[RESOURCES_MD] = _resources_markdown(stack, resources, manifests, outputs, name_of)
    files[RESOURCES_JSON] = _json_lines(resources)
    files[OUTPUTS_JSON] = json.dumps(outputs, indent=2, sort_keys=True) + "\n"
    marker = {"tool": TOOL, "format": RENDER_FORMAT, "stack": stack, "files": sorted([*files, MARKER])}
    files[MARKER] = json.dumps(marker, indent=2, sort_keys=True) + "\n"
    return Rendered(stack=stack, manifests=tuple(manifests), resources=tuple(resources), outputs=outputs, files=files)


def render_stack(
    stack: str,
    config_override: Mapping[str, Any] | None = None,
    *,
    secret_override: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> Rendered:
    """Render one stack of the project (see :func:`render_config` for the overrides).

    Raises :class:`UnknownStack` or :class:`StackConfigInvalid` (with the program's own message).
    """
    from program import main as program_main  # the providers' SDKs load only when a render runs

    config, secret_keys = render_config(stack, config_override, secret_override, project_dir)
    try:
        shape: dict[str, Any] = {}

        def program() -> None:
            program_main(project_dir)
            shape.update(export_shape(getattr(get_root_resource(), "outputs", None) or {}))

        run = run_program(program, config, secret_keys, stack=stack)
    except (pulumi.RunError, ConfigError) as error:
        raise StackConfigInvalid(str(error)) from None
    return render_run(run, stack, project_dir, shape)


# --------------------------------------------------------------------------------------------------- check


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader where PyYAML has it: reading 900 rendered files back is most of ``--check`` otherwise."""


def check(rendered: Rendered, schemas_dir: Path | None = None) -> list[str]:
    """Every problem with the rendered Kubernetes objects, read back from their YAML, as ``file: Kind/name: ...``."""
    return check_files({m.file: rendered.files[m.file] for m in rendered.manifests}, schemas_dir)


def check_dir(directory: Path, schemas_dir: Path | None = None) -> list[str]:
    """:func:`check` for a written render (its numbered YAML files)."""
    names = sorted(p.name for p in directory.glob("*.yaml") if re.match(r"^\d+-", p.name))
    return check_files({n: (directory / n).read_text() for n in names}, schemas_dir)


def check_files(texts: Mapping[str, str], schemas_dir: Path | None = None) -> list[str]:
    from tools.validate import DEFAULT_SCHEMAS_DIR, validate_object

    problems: list[str] = []
    for name, text in texts.items():
        try:
            documents = [d for d in yaml.load_all(text, Loader=_LOADER) if d is not None]
        except yaml.YAMLError as error:
            problems.append(f"{name}: not valid YAML: {error}")
            continue
        if len(documents) != 1 or not isinstance(documents[0], dict):
            problems.append(f"{name}: expected exactly one object, found {len(documents)}")
            continue
        problems += [f"{name}: {p}" for p in validate_object(documents[0], schemas_dir or DEFAULT_SCHEMAS_DIR)]
    return problems
