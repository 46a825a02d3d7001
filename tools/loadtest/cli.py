"""``python -m tools.loadtest``: load the model's endpoint open-loop, optionally watch its pods scale, and report.

Examples::

    # the stack's endpoint, a step from 5 to 60 req/s after a minute, for 10 minutes, watching the pods
    venv/bin/python -m tools.loadtest --stack dev --pattern step:5:60:60 --duration 600 --watch --out observed

    # any Seldon endpoint, a recorded trace, Poisson arrivals
    venv/bin/python -m tools.loadtest --url http://HOST/api/v1.0/predictions --trace peak.csv --poisson

    # TF Serving's REST API (KServe v1 protocol) or the Open Inference Protocol (v2)
    venv/bin/python -m tools.loadtest --url http://HOST/v1/models/fashion-mnist:predict --protocol kserve-v1 ...
    venv/bin/python -m tools.loadtest --url http://HOST/v2/models/fashion-mnist/infer --protocol v2 ...

Stopping: SIGINT (Ctrl-C), SIGTERM and SIGHUP stop sending at once; the requests in flight get 0.5 s, a second
signal abandons them at once; the report is then written. The same happens when the reader of stdout or stderr goes
away (``... | head``, a closed ssh session): see :mod:`tools.loadtest.output`.

Exit status:

- 0: the run completed and at most ``--max-error-rate`` of the scheduled requests failed;
- 2: the run cannot start (bad input: one line says why; nothing is sent);
- 3: the run completed but more than ``--max-error-rate`` of the scheduled requests failed (not sent, or sent without
  a valid answer; an unreachable endpoint fails them all);
- 128 + the signal's number when a signal stopped it (130 SIGINT, 143 SIGTERM, 129 SIGHUP), 141 (as for SIGPIPE)
  when the output's reader went away; the report is still written.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

from tools.loadtest import dashboard
from tools.loadtest.generator import LoadConfig, LoadResult, LoadRun, expected_requests
from tools.loadtest.output import Output
from tools.loadtest.payload import (
    MAX_BATCH,
    PROTOCOLS,
    SELDON,
    Payload,
    PayloadError,
    file_payload,
    generated_payload,
)
from tools.loadtest.redact import redact_url, scrub, secrets_of
from tools.loadtest.report import DEFAULT_MAX_ERROR_RATE, Progress, per_second, print_summary, write_report
from tools.loadtest.target import KubeReader, StackInfo, TargetError, kube_api, read_stack, stack_watch_names, watch_spec
from tools.loadtest.watch import LoadSecond, Observer, Watcher, WatchSpec, seconds_of, write_pods, write_timeline
from tools.traces import PATTERN_HELP, TraceError, add_trace_arguments, default_duration, trace_from_args

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_ERROR_RATE = 3
EXIT_OUTPUT_GONE = 128 + signal.SIGPIPE
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WATCHDOG_S = 0.2
"""How often the output's reader is checked while the load runs."""
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A header name is an RFC 9110 token (section 5.6.2)."""
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
"""Header values: visible ASCII, space and tab (RFC 9110 section 5.5 field-vchar without obs-text): no CR, LF, NUL."""
URL_TEXT = re.compile(r"[\x21-\x7e]+")
"""A URL is visible ASCII: no space and no control character (CR/LF would split the request line)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Open-loop load test of a model endpoint (Seldon, KServe v1 or v2), with an optional watch of the pods.",
        epilog=PATTERN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = p.add_argument_group("target (one of --url, --stack)")
    where = target.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="prediction URL, e.g. http://HOST/api/v1.0/predictions")
    where.add_argument("--stack", help="Pulumi stack whose output <model>.predictionUrl is the target (needs the pulumi CLI)")
    target.add_argument("--model", help="model (stack output) to load; needed when the stack serves several")
    target.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="seldon (POST /api/v1.0/predictions), kserve-v1 (TF Serving REST /v1/models/M:predict) or v2 "
        "(Open Inference Protocol /v2/models/M/infer); default: the stack's output <model>.protocol, else seldon",
    )
    target.add_argument(
        "--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra HTTP header (repeatable; never printed)"
    )
    load = p.add_argument_group("load")
    add_trace_arguments(p)
    load.add_argument("--poisson", action="store_true", help="Poisson arrivals at the trace's rate (default: evenly spaced)")
    load.add_argument("--seed", type=int, default=0, help="seed of the images and of --poisson (default 0)")
    load.add_argument("--max-inflight", type=int, default=256, help="requests in flight at most; more are not sent (default 256)")
    load.add_argument("--max-requests", type=int, default=200_000, help="hard cap on scheduled requests (default 200000)")
    load.add_argument("--max-duration", type=float, default=3600.0, help="hard cap on --duration, seconds (default 3600)")
    load.add_argument("--timeout", type=float, default=30.0, help="seconds before a request is abandoned (default 30)")
    load.add_argument(
        "--max-error-rate",
        type=float,
        default=DEFAULT_MAX_ERROR_RATE,
        help="exit 3 when more than this fraction of the scheduled requests fail (default 0.01)",
    )
    payload = p.add_argument_group("payload")
    payload.add_argument("--batch", type=int, default=1, help=f"generated 28x28 images per request, 1 to {MAX_BATCH} (default 1)")
    payload.add_argument(
        "--payload", type=Path, metavar="FILE.json", help="send this request body (in the --protocol's shape) instead"
    )
    payload.add_argument("--expect-outputs", type=int, help="with --payload: values per row each answer must have")
    watch = p.add_argument_group("watch (--watch)")
    watch.add_argument("--watch", action="store_true", help="watch the predictor's pods and HPA; write timeline.csv")
    watch.add_argument("--kubeconfig", type=Path, help="kubeconfig (default: the stack's kubeconfig secret, else ~/.kube/config)")
    watch.add_argument("--context", help="kubeconfig context")
    watch.add_argument("--namespace", help="namespace (default: the stack's namespace, else default)")
    watch.add_argument(
        "--deployment",
        help="with --url: the predictor Deployment (output predictorDeploymentName; KServe: <isvc>-predictor)",
    )
    watch.add_argument("--hpa", help="HPA to read (default: the stack's hpaName, else the HPA scaling the model)")
    out = p.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("observed"), help="report directory (default ./observed)")
    out.add_argument("--quiet", action="store_true", help="no live progress line")
    return p


def _headers(values: list[str]) -> tuple[dict[str, str], list[str]]:
    """The headers, and what is wrong with them; a value is never quoted (it may be a credential)."""
    headers: dict[str, str] = {}
    problems: list[str] = []
    for number, value in enumerate(values, start=1):
        name, sep, text = value.partition(":")
        name, text = name.strip(" \t"), text.strip(" \t")
        if not sep or not name:
            problems.append(f"--header #{number}: expected 'NAME: VALUE'")
        elif not HEADER_NAME.fullmatch(name):
            problems.append(
                f"--header #{number}: the name holds a character a header name cannot have "
                "(allowed: letters, digits and !#$%&'*+-.^_`|~)"
            )
        elif not HEADER_VALUE.fullmatch(text):
            problems.append(
                f"--header {name!r}: the value holds a character a header value cannot have, such as CR or LF "
                "(allowed: visible ASCII, space, tab)"
            )
        else:
            headers[name] = text
    return headers, problems


def _limit_problems(args: argparse.Namespace) -> list[str]:
    problems = [
        f"{name} {value}: must be at least {low}"
        for name, value, low in (("--max-inflight", args.max_inflight, 1), ("--max-requests", args.max_requests, 1))
        if value < low
    ]
    if not 1 <= args.batch <= MAX_BATCH:
        problems.append(f"--batch {args.batch}: must be from 1 to {MAX_BATCH}")
    for name, number in (("--max-duration", args.max_duration), ("--timeout", args.timeout)):
        if not (math.isfinite(number) and number > 0):
            problems.append(f"{name} {number}: must be a positive number of seconds")
    if not (math.isfinite(args.max_error_rate) and 0 <= args.max_error_rate <= 1):
        problems.append(f"--max-error-rate {args.max_error_rate}: must be a fraction from 0 to 1 (0.01 = 1 %)")
    return problems


def url_problems(url: str) -> list[str]:
    """What makes ``url`` unusable as a target (scheme, host, port 1..65535, characters); the URL shown redacted."""
    shown = redact_url(url)
    if not URL_TEXT.fullmatch(url):
        return [f"URL {shown!r}: holds a space or a control character (such as CR or LF)"]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return [f"URL {shown!r}: not a URL"]
    problems: list[str] = []
    if parts.scheme not in ("http", "https"):
        problems.append(f"URL {shown!r}: scheme {parts.scheme or '(none)'!r}, allowed: http, https")
    if not host:
        problems.append(f"URL {shown!r}: has no host")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        text = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        problems.append(f"URL {shown!r}: port {text!r}, allowed: a number from 1 to 65535")
    return problems


def _credential_problems(url: str, headers: Mapping[str, str]) -> list[str]:
    """aiohttp refuses to send both (``ValueError``: "Cannot combine AUTHORIZATION header with AUTH argument or
    credentials encoded in URL", aiohttp 3.14.5 ``aiohttp/client.py`` line 790), so every request would fail:
    refused before sending."""
    try:
        has_userinfo = "@" in urlsplit(url).netloc
    except ValueError:
        return []
    if has_userinfo and any(name.lower() == "authorization" for name in headers):
        return ["credentials in the URL and an Authorization header: give one of them"]
    return []


def _payload(args: argparse.Namespace, protocol: str) -> Payload:
    if args.payload is not None:
        return file_payload(args.payload, args.expect_outputs, protocol)
    return generated_payload(args.batch, args.seed, protocol)


def _target(args: argparse.Namespace, stack: StackInfo | None) -> tuple[str, str, dict[str, Any]]:
    """URL, protocol and the model's stack outputs (empty with ``--url``)."""
    if stack is None:
        return str(args.url), args.protocol or SELDON, {}
    name, model_outputs = stack.model(args.model)
    outputs = dict(model_outputs)
    protocol = args.protocol or stack_protocol(name, outputs)
    return str(outputs["predictionUrl"]), protocol, outputs


def stack_protocol(model: str, outputs: Mapping[str, Any]) -> str:
    """The model's output ``protocol`` (exactly ``seldon``, ``kserve-v1`` or ``v2``); ``seldon`` when absent.

    Stacks deployed before the program wrote this output serve through Seldon, hence the default.
    """
    value = outputs.get("protocol")
    if value is None:
        return SELDON
    if value not in PROTOCOLS:
        raise TargetError(f"stack output {model}.protocol {value!r}: expected one of {', '.join(PROTOCOLS)}")
    return str(value)


def _watch_spec(args: argparse.Namespace, stack: StackInfo | None, outputs: dict[str, Any]) -> tuple[WatchSpec, Any]:
    if stack is not None:
        names = stack_watch_names(outputs)
    elif args.deployment:
        names = {"deployment": args.deployment, "hpa": None, "elastic_workload": None, "resource_policy": None, "selector": None}
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
            selector=names["selector"],
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


class Stopper:
    """Stops a run on SIGINT, SIGTERM, SIGHUP, or when the reader of stdout or stderr goes away.

    The first stop sets :attr:`LoadRun.stop` before anything is written, so a failing write cannot keep the run going;
    a second one sets :attr:`LoadRun.abort`. ``code`` is the exit status the stop calls for.
    """

    def __init__(self, run: LoadRun, outputs: tuple[Output, ...], say: Callable[[str], None]) -> None:
        self.run = run
        self.outputs = outputs
        self.say = say
        self.code: int | None = None

    def stop(self, code: int, why: str) -> None:
        if self.run.stop.is_set():
            self.run.abort.set()
            return
        self.code = code
        self.run.stop.set()
        self.say(f"\nstopping ({why}): no more requests are sent; a second signal abandons the requests in flight\n")

    def on_signal(self, number: int) -> None:
        self.stop(128 + number, signal.Signals(number).name)

    async def watchdog(self) -> None:
        while True:
            if any(o.reader_gone() for o in self.outputs):
                self.stop(EXIT_OUTPUT_GONE, "the output's reader went away")
                self.run.abort.set()  # nobody is left to read what the requests in flight would add
                return
            await asyncio.sleep(WATCHDOG_S)


async def _run(
    config: LoadConfig, payload: Payload, progress: Progress | None, start: float, outputs: tuple[Output, Output]
) -> tuple[LoadResult, int | None]:
    run = LoadRun(config, payload, progress)
    stopper = Stopper(run, outputs, outputs[1].write)
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, stopper.on_signal, int(number))
    watchdog = asyncio.ensure_future(stopper.watchdog())
    try:
        return await run.run(start), stopper.code
    finally:
        watchdog.cancel()
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out_stream, err_stream = Output(sys.stdout), Output(sys.stderr)
    try:
        return _main(args, out_stream, err_stream)
    except KeyboardInterrupt:  # Ctrl-C outside the load (while preparing or writing the report)
        err_stream.write("\ninterrupted\n")
        return 128 + signal.SIGINT


def _main(args: argparse.Namespace, out: Output, err: Output) -> int:
    start_holder: list[float] = []
    headers, problems = _headers(args.header)
    problems += _limit_problems(args)
    if args.url is not None:
        problems += url_problems(args.url)
        problems += _credential_problems(args.url, headers)
    secrets = secrets_of(args.url or "", headers)
    try:
        trace = trace_from_args(args)
    except TraceError as problem:
        problems.append(str(problem))
    if problems:
        err.write(f"error: {scrub('; '.join(problems), secrets)}\n")
        return EXIT_BAD_INPUT
    try:
        duration = default_duration(trace, args)
        if duration > args.max_duration:
            err.write(f"note: duration {duration:g} s capped by --max-duration to {args.max_duration:g} s\n")
            duration = args.max_duration
        stack = read_stack(args.stack) if args.stack else None
        url, protocol, outputs = _target(args, stack)
        secrets = secrets_of(url, headers)
        if stack is not None and (bad := url_problems(url) + _credential_problems(url, headers)):
            raise TargetError(f"stack output predictionUrl: {'; '.join(bad)}")
        payload = _payload(args, protocol)
        spec: WatchSpec | None = None
        watcher: Watcher | None = None
        observer: Observer | None = None
        if args.watch:
            spec, api = _watch_spec(args, stack, outputs)
            observer = Observer(spec)
            watcher = Watcher(spec, api, observer, lambda: time.monotonic() - start_holder[0])
            _check(watcher, spec)
    except (TraceError, PayloadError, TargetError) as problem:
        err.write(f"error: {scrub(str(problem), secrets)}\n")
        return EXIT_BAD_INPUT

    expected = expected_requests(trace, duration)
    err.write(f"target {redact_url(url)} ({protocol} protocol)\n")
    err.write(f"load {trace.name}, {duration:g} s, {'Poisson' if args.poisson else 'evenly spaced'} arrivals")
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
        protocol=protocol,
    )
    progress = None if args.quiet else Progress(err, observer.status_line if observer is not None else None)
    import matplotlib.pyplot  # noqa: F401  (imported now, so that the report after a stop is written at once)

    start = time.monotonic() + 0.5
    if watcher is not None:
        start_holder.append(start)
        watcher.start()
    stop_code: int | None = None
    try:
        result, stop_code = asyncio.run(_run(config, payload, progress, start, (out, err)))
    finally:
        if progress is not None:
            progress.close()
        if watcher is not None:
            watcher.stop(timeout=5.0 if stop_code is None else 0.5)

    seconds = seconds_of(result.elapsed)
    ready_by_unit = observer.ready_by_unit(seconds) if observer is not None else None
    summary = write_report(result, args.out, ready_by_unit, args.max_error_rate)
    written = ["latency.csv", "summary.json", "loadtest.png"]
    if observer is not None and spec is not None:
        load = [LoadSecond(s.scheduled, s.ok) for s in per_second(result, seconds)]
        write_timeline(args.out / "timeline.csv", observer.timeline(seconds, load), spec.unit_names)
        records = observer.records()
        write_pods(args.out / "pods.csv", records)
        written += ["timeline.csv", "pods.csv"]
    print_summary(summary, out)
    if observer is not None and spec is not None:
        peaks = {unit: int(max(values, default=0)) for unit, values in (ready_by_unit or {}).items()}
        peaks["total"] = int(max((sum(v[s] for v in (ready_by_unit or {}).values()) for s in range(seconds)), default=0))
        out.write("\n" + dashboard.render(records, spec, peaks) + "\n")
        for message in observer.messages:
            err.write(f"watch: {message}\n")
    out.write(f"\nwrote {', '.join(str(args.out / name) for name in written)}\n")
    if stop_code is not None:
        return stop_code
    if summary["error_rate"] > args.max_error_rate:
        err.write(
            f"error: {summary['failed']} of {summary['scheduled']} requests failed ({summary['error_rate'] * 100:.1f} %), "
            f"more than --max-error-rate {args.max_error_rate:g}\n"
        )
        return EXIT_ERROR_RATE
    return EXIT_OK
