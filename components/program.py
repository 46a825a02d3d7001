"""The program: read the stack's config once, validate it, build the stack, export its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.config import ConfigError, StackConfig, load, parse_raw, secret_value
from components.stack import StackSecrets, build

PROJECT_DIR = Path(__file__).resolve().parent.parent


def raw_config() -> tuple[dict[str, Any], list[str]]:
    """Every config value Pulumi handed the program, and which keys are secret."""
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret = set(runtime_config.get_config_secret_keys_env()) | {k for k in merged if runtime_config.is_config_secret(k)}
    return merged, sorted(secret)


def validated(
    raw: Mapping[str, Any], secret_keys: list[str], project_dir: Path = PROJECT_DIR
) -> tuple[StackConfig, StackSecrets]:
    """Validate the raw config; a :class:`ConfigError` lists every problem."""
    values = parse_raw(raw, secret_keys)
    cfg = load(values, project_dir)

    return cfg, StackSecrets(
        kubeconfig=secret_value(values, "kubeconfig"),
        access_key_id=secret_value(values, "ossAccessKeyId"),
        access_key_secret=secret_value(values, "ossAccessKeySecret"),
    )


def main(project_dir: Path = PROJECT_DIR) -> None:
    """Entry point of ``__main__.py``: a config mistake ends the run with its message and no resources."""
    raw, secret_keys = raw_config()
    try:
        cfg, secrets = validated(raw, secret_keys, project_dir)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    for name, outputs in build(cfg, secrets).items():
        pulumi.export(name, outputs)
