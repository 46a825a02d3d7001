"""Stack files read as Pulumi reads them: every problem names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.stackfile import StackFileError, read_stack_file

BAD = [
    ("duplicate key", "config:\n  eci-inference:region: a\n  eci-inference:region: b\n", ":3: duplicate key 'eci-inference:region' (first at line 2)"),
    ("tab indentation", "config:\n\teci-inference:region: a\n", ":2: found character '\\t'"),
    ("not a mapping", "- a\n- b\n", ":1: must be a mapping with a 'config:' key, not a list"),
    ("config not a mapping", "name: x\nconfig: [1]\n", ":2: 'config:' must be a mapping of keys to values, not a list"),
    ("a number as a key", "config:\n  eci-inference:region: a\n  12: b\n", ":3: config key 12 must be a string"),
    ("a list as a key", "config:\n  ? [a, b]\n  : 1\n", ":2: a key must be a string such as eci-inference:region, not a list"),
    ("a tab before a comment", "config:\n  eci-inference:region: cn-beijing\t# c\n  3: x\n", ":2: found character '\\t'"),
    ("a tab after config:", "config:\t# c\n  - a\n", ":1: found character '\\t'"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "text", "expected"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_stack_file_names_file_and_line(tmp_path: Path, label: str, text: str, expected: str) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as caught:
        read_stack_file(path)
    assert str(caught.value).startswith(f"{path}{expected}"), f"{label}: {caught.value}"


def test_merge_keys_are_read_as_yaml_means_them(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("base: &b\n  eci-inference:region: cn-beijing\nconfig:\n  <<: *b\n  eci-inference:namespace: x\n")
    assert read_stack_file(path) == {"eci-inference:region": "cn-beijing", "eci-inference:namespace": "x"}
