"""The one HTTP client every online source uses (PubMed E-utilities, Crossref).

Why one client: timeouts, retries, rate limits and polite identification are rules of the services, not of each
call site. :class:`HttpClient` wraps one ``requests.Session`` and adds, on every call:

* a timeout (connect, read) - a server that stops answering is an error, never a hang;
* retries with exponential backoff on connection errors, timeouts, truncated bodies, 429 and 5xx, honoring
  ``Retry-After`` (seconds or an HTTP date; a server asking for more than ``max_wait`` is reported, not obeyed);
* a token-bucket rate limiter per service: NCBI allows 3 requests/s, 10 with an API key; Crossref's polite pool
  is paced at ``crossref_rate`` and slowed further when its ``X-Rate-Limit-*`` headers ask for less;
* identification: ``tool``/``email``/``api_key`` parameters for NCBI, ``mailto`` and a User-Agent with it for
  Crossref.

Base URLs, the API key and the e-mail come from :class:`Settings` (``Settings.from_env()``), never from call
sites. Failures raise :class:`SourceError` subclasses whose messages say what to do.
"""

from __future__ import annotations

import email.utils
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from library.errors import LibraryError

__all__ = [
    "BadResponse", "ConnectionFailed", "HttpClient", "NotFound", "RateLimited", "RateLimiter", "Reply",
    "RequestRejected", "ServerError", "Settings", "SourceError",
]

VERSION = "0.1.0"
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_CROSSREF_URL = "https://api.crossref.org/"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(LibraryError):
    """An online source could not give what was asked; the message says which service and what to do."""


class ConnectionFailed(SourceError):
    """No (complete) answer: connection refused or reset, timeout, truncated body - after every retry."""


class ServerError(SourceError):
    """The service kept answering 5xx."""


class RateLimited(SourceError):
    """The service kept answering 429 (or asked to wait longer than we are willing to)."""


class NotFound(SourceError):
    """404: the service does not know the identifier."""


class RequestRejected(SourceError):
    """Another 4xx: the request itself is wrong (bad query syntax, invalid API key ...)."""


class BadResponse(SourceError):
    """An answer that is not what the service documents (invalid XML/JSON, an NCBI <ERROR> document ...)."""


def _env_float(environ: Mapping[str, str], name: str, default: float, *, positive: bool = False) -> float:
    """The number in ``name`` (``default`` when unset): at least 0, or above 0 when ``positive``."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError as exc:
        raise SourceError(f"{name}={text!r} is not a number") from exc
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise SourceError(f"{name}={text!r}: expected a number {'above' if positive else 'of at least'} 0")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the services are and how politely to use them (see :meth:`from_env` for the variables)."""

    eutils_url: str = DEFAULT_EUTILS_URL
    crossref_url: str = DEFAULT_CROSSREF_URL
    ncbi_api_key: str = ""
    email: str = ""
    tool: str = "reflib"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 4  # further attempts after the first
    backoff: float = 1.0  # first wait in seconds; doubles on every retry
    max_wait: float = 120.0  # longest single wait; a longer Retry-After is reported instead
    ncbi_rate: float = 0.0  # requests per second; 0 = NCBI's rule (3, or 10 with an API key)
    crossref_rate: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """``REFLIB_EUTILS_URL``, ``REFLIB_CROSSREF_URL``, ``NCBI_API_KEY``, ``REFLIB_EMAIL``; for tests and
        mirrors also ``REFLIB_HTTP_TIMEOUT`` (read timeout, s), ``REFLIB_HTTP_RETRIES``, ``REFLIB_HTTP_BACKOFF``
        (s), ``REFLIB_HTTP_MAX_WAIT`` (s), ``REFLIB_NCBI_RATE`` and ``REFLIB_CROSSREF_RATE`` (requests/s)."""
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            eutils_url=env.get("REFLIB_EUTILS_URL", "").strip() or default.eutils_url,
            crossref_url=env.get("REFLIB_CROSSREF_URL", "").strip() or default.crossref_url,
            ncbi_api_key=env.get("NCBI_API_KEY", "").strip(),
            email=env.get("REFLIB_EMAIL", "").strip(),
            read_timeout=_env_float(env, "REFLIB_HTTP_TIMEOUT", default.read_timeout, positive=True),
            connect_timeout=min(default.connect_timeout, _env_float(env, "REFLIB_HTTP_TIMEOUT",
                                                                    default.connect_timeout, positive=True)),
            retries=int(_env_float(env, "REFLIB_HTTP_RETRIES", default.retries)),
            backoff=_env_float(env, "REFLIB_HTTP_BACKOFF", default.backoff),
            max_wait=_env_float(env, "REFLIB_HTTP_MAX_WAIT", default.max_wait),
            ncbi_rate=_env_float(env, "REFLIB_NCBI_RATE", default.ncbi_rate),
            crossref_rate=_env_float(env, "REFLIB_CROSSREF_RATE", default.crossref_rate, positive=True),
        )

    @property
    def effective_ncbi_rate(self) -> float:
        return self.ncbi_rate or (10.0 if self.ncbi_api_key else 3.0)


class RateLimiter:
    """Token bucket: ``rate`` tokens per second, at most ``burst`` saved up; :meth:`acquire` waits for one.

    ``burst=1`` spaces requests evenly (1/rate apart), which never exceeds a "N requests per second" rule
    however the server counts.
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            self._tokens -= 1
            if wait > 0:
                self._sleep(wait)
                self.waited += wait
            return wait

    def slow_down(self, rate: float) -> None:
        """Lower the rate (never raise it) when a service announces a stricter limit."""
        if 0 < rate < self.rate:
            with self._lock:
                self.rate = rate


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]
    url: str
    attempts: int = 1


@dataclass(slots=True)
class Stats:
    requests: int = 0
    retries: int = 0
    waited: float = 0.0  # seconds slept in backoff / Retry-After (rate-limit waits are on the limiters)
    notes: list[str] = field(default_factory=list)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent or invalid."""
    if not value:
        return None
    text = value.strip()
    if text.replace(".", "", 1).isdecimal():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """One session, one rate limiter per service, and the retry policy of :class:`Settings`."""

    SERVICES = ("ncbi", "crossref")

    def __init__(self, settings: Settings | None = None, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or Settings.from_env()
        self.session = session or requests.Session()
        self.sleep = sleep
        agent = f"reflib/{VERSION} (research library; python-requests/{requests.__version__}"
        agent += f"; mailto:{self.settings.email})" if self.settings.email else ")"
        self.session.headers["User-Agent"] = agent
        self.limiters = {"ncbi": RateLimiter(self.settings.effective_ncbi_rate, clock=clock, sleep=sleep),
                         "crossref": RateLimiter(self.settings.crossref_rate, clock=clock, sleep=sleep)}
        self.stats = Stats()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _identify(self, service: str, params: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        out = dict(params)
        if service == "ncbi":
            out.setdefault("tool", s.tool)
            if s.email:
                out.setdefault("email", s.email)
            if s.ncbi_api_key:
                out.setdefault("api_key", s.ncbi_api_key)
        elif service == "crossref" and s.email:
            out.setdefault("mailto", s.email)
        return out

    def _adapt(self, service: str, headers: Mapping[str, str]) -> None:
        limit, interval = headers.get("X-Rate-Limit-Limit"), headers.get("X-Rate-Limit-Interval")
        if service == "crossref" and limit and interval:
            try:
                rate = float(limit) / float(interval.rstrip("s") or 1)
            except ValueError:
                return
            self.limiters[service].slow_down(rate)

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, service: str,
            what: str = "") -> Reply:
        return self.request("GET", url, params=params, service=service, what=what)

    def post(self, url: str, data: Mapping[str, Any], *, service: str, what: str = "") -> Reply:
        return self.request("POST", url, data=data, service=service, what=what)

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                data: Mapping[str, Any] | None = None, service: str, what: str = "") -> Reply:
        """One call with the retry policy; raises a :class:`SourceError` subclass when it cannot succeed."""
        if service not in self.limiters:
            raise ValueError(f"unknown service {service!r}")
        s = self.settings
        label = what or f"{method} {url}"
        query = self._identify(service, dict(params or {})) if method == "GET" else dict(params or {})
        form = self._identify(service, dict(data or {})) if data is not None else None
        attempts = s.retries + 1
        for attempt in range(1, attempts + 1):
            self.limiters[service].acquire()
            self.stats.requests += 1
            wait = min(s.max_wait, s.backoff * 2 ** (attempt - 1))
            try:
                response = self.session.request(method, url, params=query, data=form,
                                                timeout=(s.connect_timeout, s.read_timeout))
                body = response.content
            except requests.Timeout:
                failure: SourceError = ConnectionFailed(
                    f"{label}: no answer within {s.read_timeout:g} s after {attempt} attempt(s); the service may "
                    "be overloaded - try again later")
            except requests.RequestException as exc:
                if _unresolved(exc):  # no network (or a wrong host): one more try, not the whole backoff ladder
                    failure = ConnectionFailed(
                        f"{label}: the host name could not be resolved after {attempt} attempt(s): no network, or "
                        f"a wrong service URL ({url})")
                    if attempt >= min(2, attempts):
                        raise failure from None
                else:
                    failure = ConnectionFailed(
                        f"{label}: connection failed or the answer was cut off after {attempt} attempt(s) "
                        f"({type(exc).__name__}); check the network or the service URL ({url})")
            else:
                status = response.status_code
                self._adapt(service, response.headers)
                if status < 400:
                    return Reply(status, body, response.headers, response.url, attempt)
                snippet = body[:200].decode("utf-8", "replace").strip()
                if status == 404:
                    raise NotFound(f"{label}: not found (HTTP 404){': ' + snippet if snippet else ''}")
                if status not in RETRY_STATUSES:
                    raise RequestRejected(f"{label}: the service rejected the request (HTTP {status}): {snippet}")
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > s.max_wait:
                        raise RateLimited(f"{label}: the service asks to wait {retry_after:.0f} s (HTTP {status}); "
                                          "try again later")
                    wait = retry_after
                if status == 429:
                    failure = RateLimited(f"{label}: still rate-limited (HTTP 429) after {attempt} attempt(s); "
                                          "wait a minute, or set NCBI_API_KEY for a higher NCBI limit")
                else:
                    failure = ServerError(f"{label}: the service keeps failing (HTTP {status}) after {attempt} "
                                          f"attempt(s): {snippet[:120]}; try again later")
            if attempt == attempts:
                raise failure
            self.stats.retries += 1
            self.stats.waited += wait
            self.sleep(wait)
        raise AssertionError("unreachable")


def _unresolved(exc: BaseException) -> bool:
    """Whether a request failed because its host name did not resolve (urllib3's NameResolutionError, or the
    socket's gaierror, somewhere in the chain of causes)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, NameResolutionError | socket.gaierror):
            return True
        nested = (cause.reason if isinstance(cause, MaxRetryError) else
                  next((a for a in getattr(cause, "args", ()) if isinstance(a, BaseException)), None))
        cause = cause.__cause__ or cause.__context__ or nested
    return False
