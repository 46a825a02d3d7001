"""A read-only view of the Kubernetes API: the official client, made able to send GET and nothing else.

The kubeconfig is read by ``kubernetes.config.load_kube_config`` (contexts, client certificates, tokens and exec
plugins as kubectl reads them); every request goes through :class:`GetOnlyRest`, which refuses any other method
before a byte is sent, so no check can write to the cluster by mistake. Transport failures end the run
(:class:`Unreachable`, :class:`Unauthorized`); every other HTTP status is handed to the check that asked, as a
:class:`Reply`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTClientObject, RESTResponse
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import load_kube_config, load_kube_config_from_dict

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0


class PreflightError(Exception):
    """Ends the run with exit status 2 and this one-line message."""


class Unreachable(PreflightError):
    """The API server did not answer."""


class Unauthorized(PreflightError):
    """The API server refused the kubeconfig's credentials (401)."""


class WriteRefused(RuntimeError):
    """A request other than GET reached the client: a bug in preflight, never sent."""


class GetOnlyRest(RESTClientObject):
    """The client's REST layer, refusing every method but GET."""

    def request(
        self,
        method: str,
        url: str,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        if method.upper() != "GET":
            raise WriteRefused(f"preflight only reads: refused {method.upper()} {urlsplit(url).path}")
        response: RESTResponse = super().request(  # type: ignore[no-untyped-call]
            method, url, headers, body, post_params, _request_timeout
        )
        return response


@dataclass(frozen=True)
class Reply:
    """One answer of the API server."""

    path: str
    status: int
    body: Any
    """The decoded JSON body (``None`` when it is not JSON)."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def message(self) -> str:
        """The server's own reason: a ``Status`` object's ``message``, else the HTTP status."""
        if isinstance(self.body, Mapping) and isinstance(self.body.get("message"), str):
            return f"{self.status} {self.body['message']}"
        return f"HTTP {self.status}"


def load_client(kubeconfig: str | None, context: str | None, kubeconfig_data: Mapping[str, Any] | None = None) -> ApiClient:
    """An API client whose requests are GET only, from ``kubeconfig_data`` if given, else the kubeconfig file
    (default: ``$KUBECONFIG`` or ``~/.kube/config``)."""
    configuration = Configuration()
    try:
        if kubeconfig_data is not None:
            load_kube_config_from_dict(  # type: ignore[no-untyped-call]
                dict(kubeconfig_data), context=context, client_configuration=configuration, persist_config=False
            )
        else:
            load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration, persist_config=False
            )
    except (ConfigException, OSError, ValueError, TypeError, KeyError) as error:
        if kubeconfig_data is not None:
            where = "the kubeconfig from ACK"
        else:
            where = kubeconfig or "the default kubeconfig ($KUBECONFIG or ~/.kube/config)"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PreflightError(f"cannot use {where}: {first}") from None
    configuration.retries = 0
    client = ApiClient(configuration)
    client.rest_client = GetOnlyRest(configuration)
    return client


def server(client: ApiClient) -> str:
    """The API server's scheme, host and port (never credentials or a path)."""
    parts = urlsplit(str(client.configuration.host))
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


class ReadOnlyApi:
    """GETs against one cluster; each path is fetched once per run."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._seen: dict[str, Reply] = {}

    def get(self, path: str, **query: str) -> Reply:
        url_path = path + (f"?{urlencode(sorted(query.items()))}" if query else "")
        if url_path in self._seen:
            return self._seen[url_path]
        method, url, headers, _, _ = self.client.param_serialize(
            "GET",
            path,
            query_params=sorted(query.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = self.client.call_api(
                method, url, header_params=headers, _request_timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
            )
            raw = response.read()  # type: ignore[no-untyped-call]
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as error:
            raise Unreachable(f"cannot reach the cluster at {server(self.client)}: {_reason(error)}") from None
        if response.status == 401:
            raise Unauthorized(f"the cluster at {server(self.client)} refused the kubeconfig's credentials (401 Unauthorized)")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        reply = Reply(url_path, response.status, body)
        self._seen[url_path] = reply
        return reply


def _reason(error: BaseException) -> str:
    """The innermost cause of a transport failure, on one line."""
    cause: BaseException = error
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        cause = reason
    text = str(cause)
    for marker in ("Connection refused", "timed out", "Name or service not known", "certificate verify failed"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return " ".join(text.split())[:200] or type(cause).__name__
