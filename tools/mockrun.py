"""Run the program under Pulumi's mocks and capture everything it registers.

Used by the tests. Nothing here talks to a cloud: resources get fake ids and echo their inputs back as
their state, and the one invoke the program makes (the cluster credential) returns a placeholder.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import get_root_resource, set_root_resource
from pulumi.runtime.stack import run_pulumi_func

from stackconfig import PROJECT

GC_THRESHOLD = 50_000
"""Allocations between young-generation collections during a run (Python's default is 700)."""
CONFIG_ENV = "PULUMI_CONFIG"
SECRET_KEYS_ENV = "PULUMI_CONFIG_SECRET_KEYS"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET_MASK = "[secret]"
PLACEHOLDER_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n# placeholder kubeconfig returned by the mocks\n"


def normalise(value: Any) -> Any:
    """Whole floats to int (the wire has only doubles), recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def _mask(value: Any, found: list[Any]) -> Any:
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            found.append(value.get("value"))
            return SECRET_MASK
        return {k: _mask(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, found) for v in value]
    return value


@dataclass
class Registered:
    """One resource as the program registered it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    """Inputs with secrets unwrapped (what the provider would receive), whole floats as ints."""
    masked: dict[str, Any]
    """Inputs with every secret replaced by ``[secret]`` (what is safe to print or store)."""
    secret_values: list[Any]
    """The plain values that were marked secret."""
    protect: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    dependencies: list[str]
    aliases: list[str]
    provider: str
    providers: dict[str, str] = field(default_factory=dict)
    """The ``providers`` option by package (components carry it down to their children)."""

    @property
    def kubernetes_manifest(self) -> dict[str, Any] | None:
        """The object as ``kubectl`` would see it, for Kubernetes resources; ``None`` otherwise."""
        if not self.type.startswith("kubernetes:") or self.type.startswith("kubernetes:helm.sh"):
            return None
        body = {k: v for k, v in self.inputs.items() if k not in ("__meta",)}
        if "apiVersion" not in body:
            group_version, kind = self.type.split(":")[1], self.type.split(":")[2]
            group, version = group_version.rsplit("/", 1)
            body = {"apiVersion": version if group == "core" else f"{group}/{version}", "kind": kind, **body}
        return body


@dataclass
class Run:
    """Everything one program run registered, in registration order, and the stack outputs."""

    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    masked_outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each component passed to ``register_outputs`` (what Pulumi stores as its outputs), by URN."""

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        return [m for m in (r.kubernetes_manifest for r in self.resources) if m is not None]


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, run: Run) -> None:
        self.run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.run.invokes.append((args.token, dict(args.args)))
        if args.token == "alicloud:cs/getClusterCredential:getClusterCredential":
            return {"clusterId": args.args.get("clusterId"), "id": "credential", "kubeConfig": PLACEHOLDER_KUBECONFIG}, []
        return {}, []


class _Monitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks, run: Run) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            found: list[Any] = []
            masked = normalise(_mask(raw, found))
            plain = normalise(_unwrap(raw))
            self.run.resources.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=request.custom,
                    inputs=plain,
                    masked=masked,
                    secret_values=found,
                    protect=request.protect,
                    ignore_changes=list(request.ignoreChanges),
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=request.deleteBeforeReplace,
                    retain_on_delete=bool(request.retainOnDelete),
                    dependencies=list(request.dependencies),
                    aliases=[a.spec.name for a in request.aliases if a.HasField("spec")] + list(request.aliasURNs),
                    provider=request.provider,
                    providers=dict(request.providers),
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.run.registered_outputs[request.urn] = normalise(_unwrap(json_format.MessageToDict(request.outputs)))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return _unwrap(value.get("value"))
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


async def _capture_outputs(run: Run) -> None:
    root = get_root_resource()
    exported = getattr(root, "outputs", {})
    struct = await rpc.serialize_properties(exported, {})
    raw = json_format.MessageToDict(struct)
    run.outputs = normalise(_unwrap(raw))
    run.masked_outputs = normalise(_mask(raw, []))


def one_shot(main: Callable[[], int]) -> NoReturn:
    """Run a command that runs the program once (the renderer's CLI), then leave at once with its status.

    A run leaves some 500,000 objects in reference cycles (Outputs, futures and tasks that point at each other).
    Collecting them is wasted work in a process about to end: the collector is off for the whole command (a
    100-model render peaks at about 230 MB with it or without it), and the process ends with
    ``os._exit`` after flushing stdout and stderr, skipping the interpreter's teardown, which would walk them all
    again. Together that is about 1.1 s of a 100-model render. Every file the command writes is closed by then.
    The floor program of ``benchmarks/`` runs through this too, so that the two are compared on the same terms.
    """
    gc.disable()
    try:
        status = main()
    except SystemExit as stop:  # argparse's usage errors and --help
        if not isinstance(stop.code, int | None):
            raise
        status = stop.code or 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def run_program(
    program: Callable[[], None],
    config: Mapping[str, Any],
    secret_keys: Sequence[str] = (),
    *,
    stack: str = "test",
    preview: bool = False,
    into: Run | None = None,
) -> Run:
    """Run ``program`` fresh (new event loop, new mocks) with ``config`` (keys ``project:key``).

    ``into`` receives what was registered even when the program raises (to show that nothing was).
    """
    run = into if into is not None else Run()
    # The SDK allocates many small objects that live for the whole run; with the default thresholds the collector
    # walks all of them again and again (37 % of a 100-model run), so the cost per model grows with the model count.
    # Objects that exist before the run are frozen out of collection, and collection runs less often during it.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, thresholds[1], thresholds[2])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks = _Mocks(run)
        set_root_resource(None)  # type: ignore[arg-type]
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=_Monitor(mocks, run))
        text_config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        # As the Python language host does for `pulumi up`: the whole config in PULUMI_CONFIG, the secret keys
        # in PULUMI_CONFIG_SECRET_KEYS (pulumi.runtime.get_config_env / get_config_secret_keys_env read them).
        pulumi.runtime.set_all_config({}, [])
        saved = {k: os.environ.get(k) for k in (CONFIG_ENV, SECRET_KEYS_ENV)}
        os.environ[CONFIG_ENV] = json.dumps(text_config)
        os.environ[SECRET_KEYS_ENV] = json.dumps(list(secret_keys))
        try:
            loop.run_until_complete(run_pulumi_func(program))
            loop.run_until_complete(_capture_outputs(run))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return run
