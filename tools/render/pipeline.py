"""Offline render of a stack: what ``pulumi up`` would register, without a cloud, a cluster or the Pulumi CLI.

``python -m tools.render.pipeline --stack dev`` runs the program under Pulumi's mocks (:mod:`tools.mockrun`) with
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

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.settings import get_root_resource

from stackconfig import PROJECT, ConfigError
from tools.mockrun import PLACEHOLDER_KUBECONFIG, SECRET_MASK, Run, run_program, stack_file_config

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_OUT = Path("render")
"""``--out`` defaults to ``render/<stack>`` (ignored by git)."""

KNOWN_AFTER_DEPLOY = "(known after deploy)"
"""Shown for a value that only exists once the resources do (ids the cloud assigns, computed attributes)."""

META_DIR = "meta"
MARKER = f"{META_DIR}/render.json"
RESOURCES_JSON = f"{META_DIR}/resources.json"
OUTPUTS_JSON = f"{META_DIR}/outputs.json"
RESOURCES_MD = "resources.md"
RENDER_FORMAT = 1
TOOL = "tools.render"

CI_SECRETS: dict[str, str] = {
    "ossAccessKeyId": "OSS_ACCESS_KEY_ID",
    "ossAccessKeySecret": "OSS_ACCESS_KEY_SECRET",
}
"""Secret config keys a stack may need that its stack file does not hold -> the CI secret that provides each."""

_PLACEHOLDER = re.compile(r"^\[secret:[A-Za-z0-9_.-]+\]$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

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


# --------------------------------------------------------------------------------------------------- errors


class RenderError(Exception):
    """A problem the user can fix; the CLI prints the message and exits with status 2."""


class UnknownStack(RenderError):
    """No ``Pulumi.<stack>.yaml``; the message lists the stacks that exist."""

    def __init__(self, stack: str, project_dir: Path) -> None:
        self.available = stacks(project_dir)
        listed = ", ".join(self.available) if self.available else "none"
        super().__init__(
            f"unknown stack {stack!r}: there is no {project_dir / f'Pulumi.{stack}.yaml'}\nstacks of this project: {listed}"
        )


class StackConfigInvalid(RenderError):
    """The stack's config does not validate; the message is the program's own (one line per problem)."""


class OverwriteRefused(RenderError):
    """The output directory holds files that no render wrote."""


class NotARender(RenderError):
    """A directory given to ``--diff`` holds no render."""


def stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks of the project: one per ``Pulumi.<stack>.yaml``."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml"))


# --------------------------------------------------------------------------------------------------- config


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
    config, _ = stack_file_config(_stack_path(stack, project_dir))
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
    config, secret_keys = stack_file_config(_stack_path(stack, project_dir))
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


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object and the file it is written to."""

    file: str
    key: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A stack rendered offline: its files, by relative path, and what they were made from."""

    stack: str
    manifests: tuple[Manifest, ...]
    resources: tuple[dict[str, Any], ...]
    outputs: dict[str, Any]
    files: dict[str, str] = field(repr=False)

    def data(self) -> RenderData:
        """What :func:`load` would read back from the written render."""
        return RenderData(json.loads(self.files[RESOURCES_JSON]), json.loads(self.files[OUTPUTS_JSON]))


@dataclass(frozen=True)
class RenderData:
    """The machine-readable part of a render: what ``--diff`` compares."""

    resources: list[dict[str, Any]]
    outputs: dict[str, Any]


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
        return value if _PLACEHOLDER.match(value) else SECRET_MASK
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

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return KNOWN_AFTER_DEPLOY if self._made_up(value) else value
        if isinstance(value, Mapping):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
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


def _display(key: str) -> str:
    """``<type> <name>`` of a resource key (``parent$...$type::name``)."""
    chain, _, name = key.rpartition("::")
    return f"{chain.rsplit('$', 1)[-1]} {name}"


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

    waiting = {k: set(depends.get(k, set())) & set(objects) - {k} for k in objects}
    order: list[str] = []
    while waiting:
        ready = [k for k, deps in waiting.items() if not deps]
        if not ready:  # a cycle cannot come from Pulumi; keep going rather than lose objects
            ready = list(waiting)
        chosen = min(ready, key=sort_key)
        order.append(chosen)
        del waiting[chosen]
        for deps in waiting.values():
            deps.discard(chosen)
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


_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump_yaml(value: Any) -> str:
    text: str = yaml.dump(value, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)
    return text


def _manifest_text(stack: str, record: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    header = [f"# {record['type']} {record['name']} (stack {stack}), rendered offline by `python -m {TOOL}`."]
    if "[secret" in json.dumps(body):
        header.append("# Secret values are placeholders ([secret:<key>] or [secret]); Pulumi sets the real ones.")
    return "\n".join(header) + "\n" + _dump_yaml(body)


def _relative_paths(value: Any, prefix: str) -> Any:
    """Local paths (a model file's ``source``) relative to the project, so that checkouts in other places agree."""
    if isinstance(value, str):
        return value.removeprefix(prefix)
    if isinstance(value, Mapping):
        return {k: _relative_paths(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative_paths(v, prefix) for v in value]
    return value


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
        inputs = _relative_paths(unknown(_reveal(r.masked, r.inputs)), local)
        manifest = replace(r, inputs=inputs).kubernetes_manifest
        if manifest is not None:
            bodies[key] = _ordered(manifest)
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
                "dependsOn": sorted(_display(_resource_key(d)) for d in r.dependencies),
                "provider": provider_name(r.provider),
            },
            "inputs": _ordered(manifest if manifest is not None else inputs),
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
    values = _with_unresolved(unknown(_reveal(run.masked_outputs, run.outputs)), exported or {})
    outputs = _ordered(_relative_paths(values, local))

    files: dict[str, str] = {}
    for m in manifests:
        files[m.file] = _manifest_text(stack, records[m.key], m.body)
    files[RESOURCES_MD] = _resources_markdown(stack, resources, manifests, outputs, name_of)
    files[RESOURCES_JSON] = json.dumps(resources, indent=2, sort_keys=True) + "\n"
    files[OUTPUTS_JSON] = json.dumps(outputs, indent=2, sort_keys=True) + "\n"
    marker = {"tool": TOOL, "format": RENDER_FORMAT, "stack": stack, "files": sorted([*files, MARKER])}
    files[MARKER] = json.dumps(marker, indent=2, sort_keys=True) + "\n"
    return Rendered(stack=stack, manifests=tuple(manifests), resources=tuple(resources), outputs=outputs, files=files)


def _tree_order(records: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Depth first from the stack: providers first, then siblings by name and type."""
    children: dict[str, list[dict[str, Any]]] = {}
    for record in records.values():
        children.setdefault(record["parent"], []).append(record)
    out: list[dict[str, Any]] = []

    def walk(parent: str) -> None:
        for record in sorted(
            children.get(parent, []), key=lambda r: (not r["type"].startswith("pulumi:providers:"), r["name"], r["type"])
        ):
            out.append(record)
            walk(record["key"])

    walk("")
    listed = {r["key"] for r in out}
    out += sorted((r for r in records.values() if r["key"] not in listed), key=lambda r: r["key"])
    return out


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves by path: ``spec.metrics[0].external.metric.selector.matchLabels["sls.project"]``."""
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            path = (f"{prefix}.{key}" if prefix else key) if _PLAIN_KEY.match(key) else f"{prefix}[{json.dumps(key)}]"
            flat.update(_flatten(v, path))
        return flat
    if isinstance(value, list) and value:
        flat = {}
        for i, v in enumerate(value):
            flat.update(_flatten(v, f"{prefix}[{i}]"))
        return flat
    return {prefix: value}


def _show(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or value != KNOWN_AFTER_DEPLOY else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _resources_markdown(
    stack: str,
    resources: Sequence[Mapping[str, Any]],
    manifests: Sequence[Manifest],
    outputs: Mapping[str, Any],
    name_of: Callable[[str], str],
) -> str:
    lines = [
        f"# Stack `{stack}`: rendered offline",
        "",
        f"Made by `python -m {TOOL} --stack {stack}` under Pulumi's mocks: no cloud, cluster or Pulumi CLI was used.",
        "Secret config values appear as `[secret:<key>]`, other secret values as `[secret]`; "
        f"`{KNOWN_AFTER_DEPLOY}` marks values that only exist once the resources do.",
        "",
        "## Kubernetes objects",
        "",
        f"{len(manifests)} object(s), one file each, numbered in apply order. Install the add-ons below (Helm releases and "
        "ACK managed add-ons) first: the custom resources need their CRDs and controllers.",
        "",
        "| File | Kind | Namespace | Name |",
        "|---|---|---|---|",
    ]
    for m in manifests:
        meta = m.body.get("metadata") or {}
        lines.append(f"| `{m.file}` | {m.body.get('kind')} | {meta.get('namespace', '')} | {meta.get('name', '')} |")
    lines += [
        "",
        "## Resources",
        "",
        f"{len(resources)} resource(s), as Pulumi would register them (components, then their children).",
        "",
        "| # | Type | Name | Parent | Options | Inputs |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(resources, start=1):
        options = r["options"]
        shown = []
        if options["protect"]:
            shown.append("protect")
        if options["ignoreChanges"]:
            shown.append(f"ignoreChanges: {', '.join(options['ignoreChanges'])}")
        if options["provider"]:
            shown.append(f"provider: {options['provider']}")
        if r["file"] is not None:
            summary = f"`{r['file']}`"
        else:
            leaves = _flatten(r["inputs"]).items()
            summary = ", ".join(f"{path}={_show(v, 80)}" for path, v in leaves if path and v is not None)
            summary = summary if len(summary) <= 400 else summary[:399] + "…"
        parent = _display(r["parent"]).split(" ", 1)[1] if r["parent"] else ""
        lines.append(f"| {i} | {r['type']} | {r['name']} | {parent} | {_cell('; '.join(shown))} | {_cell(summary)} |")
    lines += [
        "",
        "## Stack outputs",
        "",
        "```yaml",
        _dump_yaml(outputs).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


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


# --------------------------------------------------------------------------------------------------- write


def _files_under(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() or p.is_symlink()}


def _previous_render(out: Path) -> set[str] | None:
    marker = out / MARKER
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL or not isinstance(data.get("files"), list):
        return None
    return {str(f) for f in data["files"]}


def write(rendered: Rendered, out: Path, *, force: bool = False) -> list[str]:
    """Write a render into ``out``, replacing a previous render there; return the foreign files left alone.

    A directory holding anything a render did not write is refused (:class:`OverwriteRefused`) unless ``force``;
    even then those files are kept, never deleted.
    """
    if out.exists() and not out.is_dir():
        raise OverwriteRefused(f"refusing to render into {out}: it is a file, not a directory")
    previous: set[str] = set()
    foreign: list[str] = []
    if out.is_dir():
        present = _files_under(out)
        marked = _previous_render(out)
        previous = (marked or set()) & present
        foreign = sorted(present - previous)
        if foreign and not force:
            shown = ", ".join(foreign[:10]) + (f" and {len(foreign) - 10} more" if len(foreign) > 10 else "")
            what = "files no render wrote" if marked is not None else "files, and no render marker"
            raise OverwriteRefused(
                f"refusing to render into {out}: it holds {what} ({shown}).\n"
                "Choose another --out, empty the directory, or pass --force to write anyway (those files are kept)."
            )
    for stale in sorted(previous - set(rendered.files)):
        (out / stale).unlink()
    for name, text in sorted(rendered.files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in sorted({(out / name).parent for name in previous}, key=lambda p: len(p.parts), reverse=True):
        if directory != out and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return foreign


def load(directory: Path) -> RenderData:
    """The machine-readable part of a written render."""
    if _previous_render(directory) is None:
        raise NotARender(f"{directory} is not a render: it has no {MARKER} (make one with python -m {TOOL} --stack ...)")
    try:
        resources = json.loads((directory / RESOURCES_JSON).read_text())
        outputs = json.loads((directory / OUTPUTS_JSON).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise NotARender(f"{directory} holds an incomplete render: {error}") from None
    return RenderData(resources=resources, outputs=outputs)


# --------------------------------------------------------------------------------------------------- check


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
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as error:
            problems.append(f"{name}: not valid YAML: {error}")
            continue
        if len(documents) != 1 or not isinstance(documents[0], dict):
            problems.append(f"{name}: expected exactly one object, found {len(documents)}")
            continue
        problems += [f"{name}: {p}" for p in validate_object(documents[0], schemas_dir or DEFAULT_SCHEMAS_DIR)]
    return problems


# --------------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class RenderDiff:
    """Differences from render ``a`` to render ``b``: one line per added or removed resource, per changed field."""

    lines: list[str]
    added: int
    changed: int
    removed: int
    outputs_changed: int

    @property
    def summary(self) -> str:
        if not self.lines:
            return "no differences"
        return (
            f"resources: {self.added} added, {self.changed} changed, {self.removed} removed; "
            f"outputs: {self.outputs_changed} changed"
        )

    def text(self) -> str:
        return "".join(f"{line}\n" for line in [*self.lines, self.summary])


def _absent_or(flat: Mapping[str, Any], path: str) -> str:
    return _show(flat[path]) if path in flat else "(absent)"


def _field_changes(before: Any, after: Any) -> Iterator[tuple[str, str, str]]:
    """Changed leaves, in the order of the newer render, then the removed ones in the older's order."""
    a, b = _flatten(before), _flatten(after)
    for path in [*b, *(p for p in a if p not in b)]:
        if path not in a or path not in b or a[path] != b[path] or type(a[path]) is not type(b[path]):
            yield path, _absent_or(a, path), _absent_or(b, path)


def diff_data(a: RenderData, b: RenderData) -> RenderDiff:
    """Compare two renders resource by resource (by type, name and parents) and field by field."""
    before = {r["key"]: r for r in a.resources}
    after = {r["key"]: r for r in b.resources}
    lines: list[str] = []
    added = changed = removed = 0
    keys = [r["key"] for r in b.resources] + [r["key"] for r in a.resources if r["key"] not in after]
    for key in keys:
        label = f"{after[key]['type']} {after[key]['name']}" if key in after else f"{before[key]['type']} {before[key]['name']}"
        if key not in before:
            added += 1
            lines.append(f"+ {label}")
        elif key not in after:
            removed += 1
            lines.append(f"- {label}")
        else:
            old, new = before[key], after[key]
            found = [f"~ {label}: {path}: {x} -> {y}" for path, x, y in _field_changes(old["inputs"], new["inputs"])]
            found += [
                f"~ {label}: ({path}): {x} -> {y}"
                for path, x, y in _field_changes(
                    {**old["options"], "parent": old["parent"]}, {**new["options"], "parent": new["parent"]}
                )
            ]
            if found:
                changed += 1
                lines += found
    outputs_changed = 0
    for path, x, y in _field_changes(a.outputs, b.outputs):
        outputs_changed += 1
        sign = "+" if x == "(absent)" else "-" if y == "(absent)" else "~"
        lines.append(f"{sign} output {path}: {y if sign == '+' else x if sign == '-' else f'{x} -> {y}'}")
    return RenderDiff(lines=lines, added=added, changed=changed, removed=removed, outputs_changed=outputs_changed)


def diff(a_dir: Path, b_dir: Path) -> RenderDiff:
    """What changed from the render in ``a_dir`` to the render in ``b_dir``."""
    return diff_data(load(a_dir), load(b_dir))


# --------------------------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {TOOL}",
        description="Render a stack offline (Pulumi's mocks; no cloud, cluster or Pulumi CLI): one YAML file per "
        "Kubernetes object in apply order, resources.md, and meta/ for --diff.",
    )
    parser.add_argument("--stack", required=True, help="stack to render: the <name> of a Pulumi.<name>.yaml")
    parser.add_argument("--out", type=Path, help="output directory (default: render/<stack>)")
    parser.add_argument("--force", action="store_true", help="write into --out even if it holds files no render wrote")
    parser.add_argument("--check", action="store_true", help="validate every Kubernetes object offline; exit 1 on problems")
    parser.add_argument("--diff", type=Path, metavar="OTHER_DIR", help="print what changed from the render in OTHER_DIR")
    parser.add_argument(
        "--missing-secrets",
        action="store_true",
        help="print '<config key> <CI secret>' for each secret the stack needs and its file lacks, then exit",
    )
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    return parser


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 fine, 1 ``--check`` found problems, 2 usage or config error)."""
    args = build_parser().parse_args(argv)
    project_dir: Path = args.project_dir.resolve()
    out: Path = args.out if args.out is not None else DEFAULT_OUT / args.stack
    try:
        if args.missing_secrets:
            for key in missing_secrets(args.stack, project_dir):
                print(f"{key} {CI_SECRETS[key]}")
            return 0
        other = load(args.diff) if args.diff is not None else None
        rendered = render_stack(args.stack, project_dir=project_dir)
        foreign = write(rendered, out, force=args.force)
    except StackConfigInvalid as error:
        _err(f"stack {args.stack!r} (Pulumi.{args.stack}.yaml): nothing rendered.\n{error}")
        return 2
    except RenderError as error:
        _err(str(error))
        return 2
    counts = f"{len(rendered.manifests)} Kubernetes objects, {len(rendered.resources)} resources"
    _err(f"rendered stack {args.stack!r}: {counts} -> {out}")
    if foreign:
        _err(f"left alone in {out} (--force): {', '.join(foreign)}")
    if other is not None:
        sys.stdout.write(diff_data(other, rendered.data()).text())
    status = 0
    if args.check:
        from tools.validate import SchemasMissing

        try:
            problems = check(rendered)
        except SchemasMissing as error:
            _err(f"check: {error}")
            return 2
        for problem in problems:
            _err(f"  {problem}")
        _err(f"check: {len(problems)} problem(s) in {len(rendered.manifests)} objects" if problems else
             f"check: all {len(rendered.manifests)} objects valid")  # fmt: skip
        status = 1 if problems else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
