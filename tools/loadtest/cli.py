"""``python -m tools.loadtest``: load the model's endpoint open-loop, optionally watch its pods scale, and report.

Examples::

    # the stack's endpoint, a step from 5 to 60 req/s after a minute, for 10 minutes, watching the pods
    venv/bin/python -m tools.loadtest --stack dev --pattern step:5:60:60 --duration 600 --watch --out observed

    # any Seldon endpoint, a recorded trace, Poisson arrivals
    venv/bin/python -m tools.loadtest --url http://HOST/api/v1.0/predictions --trace peak.csv --poisson

Exit status: 0 after a run (whatever the errors; read the report), 130 after Ctrl-C (the report is still written),
2 when the run cannot start (the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import urllib3

from tools.loadtest import dashboard
from tools.loadtest.generator import LoadConfig, LoadResult, LoadRun, expected_requests
from tools.loadtest.payload import Payload, PayloadError, file_payload, generated_payload
from tools.loadtest.report import Progress, per_second, print_summary, write_report
from tools.loadtest.target import KubeReader, StackInfo, TargetError, kube_api, read_stack, stack_watch_names, watch_spec
from tools.loadtest.watch import LoadSecond, Observer, Watcher, WatchSpec, seconds_of, write_pods, write_timeline
from tools.traces import PATTERN_HELP, TraceError, add_trace_arguments, default_duration, trace_from_args


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Open-loop load test of a Seldon Core v1 endpoint, with an optional watch of the pods scaling.",
        epilog=PATTERN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = p.add_argument_group("target (one of --url, --stack)")
    where = target.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="prediction URL, e.g. http://HOST/api/v1.0/predictions")
    where.add_argument("--stack", help="Pulumi stack whose output <model>.predictionUrl is the target (needs the pulumi CLI)")
    target.add_argument("--model", help="model (stack output) to load; needed when the stack serves several")
    target.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra HTTP header (repeatable)")
    load = p.add_argument_group("load")
    add_trace_arguments(p)
    load.add_argument("--poisson", action="store_true", help="Poisson arrivals at the trace's rate (default: evenly spaced)")
    load.add_argument("--seed", type=int, default=0, help="seed of the images and of --poisson (default 0)")
    load.add_argument("--max-inflight", type=int, default=256, help="requests in flight at most; more are not sent (default 256)")
    load.add_argument("--max-requests", type=int, default=200_000, help="hard cap on scheduled requests (default 200000)")
    load.add_argument("--max-duration", type=float, default=3600.0, help="hard cap on --duration, seconds (default 3600)")
    load.add_argument("--timeout", type=float, default=30.0, help="seconds before a request is abandoned (default 30)")
    payload = p.add_argument_group("payload")
    payload.add_argument("--batch", type=int, default=1, help="generated 28x28 images per request (default 1)")
    payload.add_argument("--payload", type=Path, metavar="FILE.json", help="send this Seldon message instead of generated images")
    payload.add_argument("--expect-outputs", type=int, help="with --payload: values per row each answer must have")
    watch = p.add_argument_group("watch (--watch)")
    watch.add_argument("--watch", action="store_true", help="watch the predictor's pods and HPA; write timeline.csv")
    watch.add_argument("--kubeconfig", type=Path, help="kubeconfig (default: the stack's kubeconfig secret, else ~/.kube/config)")
    watch.add_argument("--context", help="kubeconfig context")
    watch.add_argument("--namespace", help="namespace (default: the stack's namespace, else default)")
    watch.add_argument(
        "--deployment", help="with --url: the Deployment the Seldon operator created (output predictorDeploymentName)"
    )
    watch.add_argument("--hpa", help="HPA to read (default: the stack's hpaName, else the HPA scaling the model)")
    out = p.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("observed"), help="report directory (default ./observed)")
    out.add_argument("--quiet", action="store_true", help="no live progress line")
    return p


def _headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise TargetError(f"--header {value!r}: expected 'NAME: VALUE'")
        headers[name.strip()] = text.strip()
    return headers


def _check_limits(args: argparse.Namespace) -> None:
    for name, value, low in (
        ("--max-inflight", args.max_inflight, 1),
        ("--max-requests", args.max_requests, 1),
        ("--batch", args.batch, 1),
    ):
        if value < low:
            raise TargetError(f"{name} {value}: must be at least {low}")
    for name, number in (("--max-duration", args.max_duration), ("--timeout", args.timeout)):
        if not (math.isfinite(number) and number > 0):
            raise TargetError(f"{name} {number}: must be a positive number of seconds")


def _payload(args: argparse.Namespace) -> Payload:
    if args.payload is not None:
        return file_payload(args.payload, args.expect_outputs)
    return generated_payload(args.batch, args.seed)


def _url(args: argparse.Namespace, stack: StackInfo | None) -> tuple[str, dict[str, Any]]:
    if stack is None:
        url = str(args.url)
        outputs: dict[str, Any] = {}
    else:
        _, model_outputs = stack.model(args.model)
        url, outputs = str(model_outputs["predictionUrl"]), dict(model_outputs)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TargetError(f"{url!r} is not an http(s) URL")
    return url, outputs


def _watch_spec(args: argparse.Namespace, stack: StackInfo | None, outputs: dict[str, Any]) -> tuple[WatchSpec, Any]:
    if stack is not None:
        names = stack_watch_names(outputs)
    elif args.deployment:
        names = {"deployment": args.deployment, "hpa": None, "elastic_workload": None, "resource_policy": None}
    else:
        raise TargetError("--watch with --url needs --deployment (the model's predictorDeploymentName output) and --namespace")
    if args.hpa:
        names["hpa"] = args.hpa
    api = kube_api(None if args.kubeconfig or stack is None else stack.kubeconfig, args.kubeconfig, args.context)
    namespace = args.namespace or (stack.namespace if stack is not None else "default")
    from kubernetes.client.exceptions import ApiException

    try:
        spec = watch_spec(
            KubeReader(api),
            namespace,
            str(names["deployment"]),
            hpa=names["hpa"],
            elastic_workload=names["elastic_workload"],
            resource_policy=names["resource_policy"],
        )
    except ApiException as err:
        raise TargetError(f"reading the model's objects in namespace {namespace!r} failed: {err.status} {err.reason}") from None
    except (OSError, urllib3.exceptions.HTTPError) as err:
        raise TargetError(f"cannot reach the cluster: {err}") from None
    return spec, api


def _check(watcher: Watcher, spec: WatchSpec) -> None:
    """List the pods once, so that missing rights or an unreachable API fail before the load starts."""
    from kubernetes.client.exceptions import ApiException

    try:
        watcher.check()
    except ApiException as err:
        raise TargetError(
            f"listing the pods {spec.selector} in namespace {spec.namespace!r} failed: {err.status} {err.reason}"
        ) from None
    except (OSError, urllib3.exceptions.HTTPError) as err:
        raise TargetError(f"cannot reach the cluster: {err}") from None


async def _run(config: LoadConfig, payload: Payload, progress: Progress | None, start: float) -> LoadResult:
    run = LoadRun(config, payload, progress)
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        if not run.stop.is_set():
            sys.stderr.write("\nstopping: no more requests are sent; Ctrl-C again to abandon the requests in flight\n")
            run.stop.set()
        else:
            run.abort.set()

    loop.add_signal_handler(signal.SIGINT, on_interrupt)
    loop.add_signal_handler(signal.SIGTERM, on_interrupt)
    try:
        return await run.run(start)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    err = sys.stderr
    start_holder: list[float] = []
    try:
        _check_limits(args)
        trace = trace_from_args(args)
        duration = default_duration(trace, args)
        if duration > args.max_duration:
            err.write(f"note: duration {duration:g} s capped by --max-duration to {args.max_duration:g} s\n")
            duration = args.max_duration
        payload = _payload(args)
        headers = _headers(args.header)
        stack = read_stack(args.stack) if args.stack else None
        url, outputs = _url(args, stack)
        spec: WatchSpec | None = None
        watcher: Watcher | None = None
        observer: Observer | None = None
        if args.watch:
            spec, api = _watch_spec(args, stack, outputs)
            observer = Observer(spec)
            watcher = Watcher(spec, api, observer, lambda: time.monotonic() - start_holder[0])
            _check(watcher, spec)
    except (TraceError, PayloadError, TargetError) as problem:
        err.write(f"error: {problem}\n")
        return 2

    expected = expected_requests(trace, duration)
    err.write(f"target {url}\nload {trace.name}, {duration:g} s, {'Poisson' if args.poisson else 'evenly spaced'} arrivals")
    err.write(f", about {expected:.0f} requests (cap {args.max_requests}), at most {args.max_inflight} in flight\n")
    err.write(f"payload {payload.description}\n")
    if spec is not None:
        units = ", ".join(spec.unit_names)
        err.write(f"watching pods {spec.selector} in {spec.namespace} ({spec.mode}: {units}); HPA {spec.hpa or 'not found'}\n")
    if expected > args.max_requests:
        err.write(f"note: the trace asks for more than --max-requests {args.max_requests}; the run stops at the cap\n")

    config = LoadConfig(
        url=url,
        trace=trace,
        duration=duration,
        poisson=args.poisson,
        seed=args.seed,
        max_inflight=args.max_inflight,
        max_requests=args.max_requests,
        timeout=args.timeout,
        drain=args.timeout,
        headers=headers,
    )
    progress = None if args.quiet else Progress(err, observer.status_line if observer is not None else None)
    start = time.monotonic() + 0.5
    if watcher is not None:
        start_holder.append(start)
        watcher.start()
    try:
        result = asyncio.run(_run(config, payload, progress, start))
    finally:
        if progress is not None:
            progress.close()
        if watcher is not None:
            watcher.stop()

    seconds = seconds_of(result.elapsed)
    ready_by_unit = observer.ready_by_unit(seconds) if observer is not None else None
    summary = write_report(result, args.out, ready_by_unit)
    print_summary(summary, sys.stdout)
    written = ["latency.csv", "summary.json", "loadtest.png"]
    if observer is not None and spec is not None:
        load = [LoadSecond(s.scheduled, s.ok) for s in per_second(result, seconds)]
        write_timeline(args.out / "timeline.csv", observer.timeline(seconds, load), spec.unit_names)
        records = observer.records()
        write_pods(args.out / "pods.csv", records)
        written += ["timeline.csv", "pods.csv"]
        peaks = {unit: int(max(values, default=0)) for unit, values in (ready_by_unit or {}).items()}
        peaks["total"] = int(max((sum(v[s] for v in (ready_by_unit or {}).values()) for s in range(seconds)), default=0))
        sys.stdout.write("\n" + dashboard.render(records, spec, peaks) + "\n")
        for message in observer.messages:
            err.write(f"watch: {message}\n")
    sys.stdout.write(f"\nwrote {', '.join(str(args.out / name) for name in written)}\n")
    return 130 if result.end_reason == "interrupted" else 0
