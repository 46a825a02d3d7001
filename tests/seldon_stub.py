"""A local stand-in for a Seldon Core v1 predictor, for the load tester's tests (127.0.0.1 only).

It implements the REST contract the load tester relies on (Seldon Core 1 "External API":
``POST /api/v1.0/predictions`` with a SeldonMessage ``{"data": {"ndarray": ...}}``; the answer is a SeldonMessage
with ``data.names`` ``t:0``..``t:9`` and ``data.ndarray`` holding one row of 10 scores per image, as the Python
wrapper answers for the recipe's tfserving-proxy). A body that is not a batch of 28x28 numbers gets 400 with
Seldon's failure message (``{"status": {"status": "FAILURE", "reason": "MICROSERVICE_BAD_DATA", ...}}``).

With ``request_paths``, the ``n``-th request's answer carries ``meta.requestPath`` = ``request_paths[n % len]``,
as Seldon's Python wrapper adds it (seldon-core v1.17.1 ``python/seldon_core/utils.py`` ``get_request_path``: the
graph node's name to its image), e.g. a main and a canary server answering in turn.

Modes: ``ok`` answers at once; ``slow`` after ``delay`` seconds; ``stall`` holds every request that arrives during
``[first request + stall_after, + stall_seconds)`` until that window ends (and answers the rest at once); ``error``
answers every ``error_every``-th request with ``error_status``; ``badshape`` answers 9 scores instead of 10.

``python -m tests.seldon_stub --mode slow --port 8008`` runs it in the foreground (for trying the load tester).
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/api/v1.0/predictions"
SIDE = 28
CLASSES = 10
MODES = ("ok", "slow", "stall", "error", "badshape")


def _failure(info: str) -> dict[str, Any]:
    return {"status": {"code": -1, "info": info, "reason": "MICROSERVICE_BAD_DATA", "status": "FAILURE"}}


def validate(message: Any) -> str | None:
    """Why a request is not a batch of 28x28 images in a SeldonMessage, or ``None``."""
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        return "expected {'data': {'ndarray': ...}}"
    return images_problem(message["data"].get("ndarray"), "data.ndarray must be a non-empty list of images")


def images_problem(images: Any, empty: str) -> str | None:
    """Why ``images`` is not a non-empty batch of 28x28 images (``empty`` when it is no list or an empty one)."""
    if not isinstance(images, list) or not images:
        return empty
    for image in images:
        if not (isinstance(image, list) and len(image) == SIDE):
            return f"each image must have {SIDE} rows"
        for row in image:
            if not (isinstance(row, list) and len(row) == SIDE and all(isinstance(v, int | float) for v in row)):
                return f"each image row must be {SIDE} numbers"
    return None


def scores(image: list[list[float]], classes: int) -> list[float]:
    """Deterministic softmax-like scores for one image."""
    total = sum(sum(row) for row in image)
    raw = [math.exp(math.sin(total * (k + 1))) for k in range(classes)]
    norm = sum(raw)
    return [round(v / norm, 6) for v in raw]


class SeldonStub(ThreadingHTTPServer):
    """The server; start with :meth:`start`, stop with :meth:`stop` (or use it as a context manager)."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(
        self,
        mode: str = "ok",
        *,
        port: int = 0,
        delay: float = 0.05,
        stall_after: float = 0.5,
        stall_seconds: float = 1.0,
        error_every: int = 1,
        error_status: int = 500,
        request_paths: Sequence[Mapping[str, str]] = (),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
        super().__init__(("127.0.0.1", port), _Handler)
        self.mode = mode
        self.delay = delay
        self.stall_after = stall_after
        self.stall_seconds = stall_seconds
        self.error_every = error_every
        self.error_status = error_status
        self.request_paths = tuple(dict(path) for path in request_paths)
        self.lock = threading.Lock()
        self.requests = 0
        self.rejected = 0
        self.inflight = 0
        self.max_inflight = 0
        self.first_request_at: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.base + PATH

    def routes(self, path: str) -> bool:
        """Whether ``path`` is the prediction route."""
        return path == PATH

    @property
    def stall_window(self) -> tuple[float, float] | None:
        """``(from, until)`` in ``time.monotonic()`` seconds, once the first request arrived (stall mode)."""
        if self.mode != "stall" or self.first_request_at is None:
            return None
        start = self.first_request_at + self.stall_after
        return start, start + self.stall_seconds

    def start(self) -> SeldonStub:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SeldonStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, message: Any) -> tuple[int, dict[str, Any]]:
        """Status and body for one request (after the mode's wait)."""
        with self.lock:
            now = time.monotonic()
            if self.first_request_at is None:
                self.first_request_at = now
            self.requests += 1
            number = self.requests
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            if self.mode == "slow":
                time.sleep(self.delay)
            window = self.stall_window
            if window is not None and window[0] <= now < window[1]:
                time.sleep(window[1] - time.monotonic())
            problem = self.validate(message)
            if problem is not None:
                with self.lock:
                    self.rejected += 1
                return 400, self.failure(problem)
            if self.mode == "error" and number % self.error_every == 0:
                return self.error_status, self.failure("injected error")
            classes = CLASSES - 1 if self.mode == "badshape" else CLASSES
            return 200, self.respond(message, classes, number - 1)
        finally:
            with self.lock:
                self.inflight -= 1

    def validate(self, message: Any) -> str | None:
        """Why a request body is not what this protocol takes, or ``None``."""
        return validate(message)

    def failure(self, info: str) -> dict[str, Any]:
        """The protocol's error body."""
        return _failure(info)

    def respond(self, message: Any, classes: int, index: int) -> dict[str, Any]:
        """The 200 answer to the ``index``-th (from 0) valid request."""
        rows = [scores(image, classes) for image in message["data"]["ndarray"]]
        meta: dict[str, Any] = {}
        if self.request_paths:
            meta["requestPath"] = self.request_paths[index % len(self.request_paths)]
        return {"data": {"names": [f"t:{k}" for k in range(classes)], "ndarray": rows}, "meta": meta}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SeldonStub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.server.routes(self.path):
            self._send(404, {"status": {"status": "FAILURE", "info": f"no route {self.path}"}})
            return
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            message = None
        status, body = self.server.answer(message)
        self._send(status, body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--port", type=int, default=8008)
    parser.add_argument("--delay", type=float, default=0.05, help="slow mode: seconds per answer")
    parser.add_argument("--stall-after", type=float, default=5.0)
    parser.add_argument("--stall-seconds", type=float, default=1.0)
    parser.add_argument("--error-every", type=int, default=10)
    args = parser.parse_args(argv)
    server = SeldonStub(
        args.mode,
        port=args.port,
        delay=args.delay,
        stall_after=args.stall_after,
        stall_seconds=args.stall_seconds,
        error_every=args.error_every,
    )
    print(f"Seldon stub ({args.mode}) on {server.url}; Ctrl-C stops it", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
