"""What a render writes: ``resources.md`` (the resources as a person reads them) and the files on disk."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.render.model import (
    KNOWN_AFTER_DEPLOY,
    MARKER,
    OUTPUTS_JSON,
    PLAIN_KEY,
    RESOURCES_JSON,
    TOOL,
    Manifest,
    NotARender,
    OverwriteRefused,
    RenderData,
    Rendered,
    display_key,
    dump_yaml,
)


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
            path = (f"{prefix}.{key}" if prefix else key) if PLAIN_KEY.fullmatch(key) else f"{prefix}[{json.dumps(key)}]"
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
        if options.get("replaceOnChanges"):
            shown.append(f"replaceOnChanges: {', '.join(options['replaceOnChanges'])}")
        if options.get("deleteBeforeReplace"):
            shown.append("deleteBeforeReplace")
        if options["provider"]:
            shown.append(f"provider: {options['provider']}")
        if r["file"] is not None:
            summary = f"`{r['file']}`"
        else:
            leaves = _flatten(r["inputs"]).items()
            summary = ", ".join(f"{path}={_show(v, 80)}" for path, v in leaves if path and v is not None)
            summary = summary if len(summary) <= 400 else summary[:399] + "…"
        parent = display_key(r["parent"]).split(" ", 1)[1] if r["parent"] else ""
        lines.append(f"| {i} | {r['type']} | {r['name']} | {parent} | {_cell('; '.join(shown))} | {_cell(summary)} |")
    lines += [
        "",
        "## Stack outputs",
        "",
        "```yaml",
        dump_yaml(outputs).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


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
        marked = _previous_render(out)
        # Only a previous render is walked; any other directory is judged by its entries (``--out /`` must not walk
        # the whole file system).
        present = _files_under(out) if marked is not None else {p.name for p in out.iterdir()}
        previous = (marked or set()) & present
        foreign = sorted(present - previous)
        if foreign and not force:
            shown = ", ".join(foreign[:10]) + (f" and {len(foreign) - 10} more" if len(foreign) > 10 else "")
            what = "files no render wrote" if marked is not None else "files, and no render marker"
            raise OverwriteRefused(
                f"refusing to render into {out}: it holds {what} ({shown}); "
                "choose another --out, empty the directory, or pass --force to write anyway (those files are kept)."
            )
    for stale in sorted(previous - set(rendered.files)):
        (out / stale).unlink()
    for directory in sorted({(out / name).parent for name in rendered.files}):
        directory.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(rendered.files.items()):
        (out / name).write_text(text, encoding="utf-8")
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
