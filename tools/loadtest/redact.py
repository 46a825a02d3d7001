"""Credentials never leave the process: the URL's ``user:password@`` and every ``--header`` value.

What the load tester prints or writes (stderr, stdout, ``summary.json``, the plot's title, error messages) shows the
URL through :func:`redact_url` (``http://***@host/...``) and never a header's value; text that comes from elsewhere
(a client error's message, which may quote the URL) goes through :func:`scrub`, which replaces every secret it finds,
as given and percent-decoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"


def redact_url(url: str) -> str:
    """``url`` with any ``user[:password]@`` replaced by ``***@``; text that is not a URL is returned masked whole."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK if "@" in url else url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def secrets_of(url: str, headers: Mapping[str, str]) -> tuple[str, ...]:
    """The strings to keep out of every output: the URL's userinfo (whole, user, password) and the header values."""
    found: list[str] = []
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    if "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        found += [userinfo, user, password]
    found += list(headers.values())
    return tuple(sorted({s for text in found for s in (text, unquote(text)) if s}, key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (longest first) replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
