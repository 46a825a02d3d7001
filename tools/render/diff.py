"""``--diff``: what changed between two renders, resource by resource and field by field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.render.model import RenderData
from tools.render.report import _flatten, _show, load


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
