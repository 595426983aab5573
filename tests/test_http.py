"""The shared HTTP client against a real server on 127.0.0.1: retries, Retry-After, timeouts, truncation, limits."""

from __future__ import annotations

import email.utils
import time

import pytest

from ingest.http import (
    ConnectionFailed,
    HttpClient,
    NotFound,
    RateLimited,
    RateLimiter,
    RequestRejected,
    ServerError,
    Settings,
    SourceError,
    parse_retry_after,
)

from .httpserver import LocalServer, Reply


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


@pytest.fixture(autouse=True)
def _ok_route(server: LocalServer) -> None:
    server.route("/ok", lambda r: Reply(200, b"fine"))


def client(server: LocalServer, sleep=None, **overrides) -> HttpClient:
    values = {"eutils_url": server.url, "crossref_url": server.url, "backoff": 0.05, "retries": 2,
              "read_timeout": 2.0, "ncbi_rate": 1000.0, "crossref_rate": 1000.0} | overrides
    return HttpClient(Settings(**values), sleep=sleep if sleep is not None else time.sleep)


def test_429_with_retry_after_then_success(server):
    server.script("/ok", Reply(429, b"slow down", {"Retry-After": "3"}))
    sleeps = Sleeps()
    reply = client(server, sleep=sleeps).get(server.url + "ok", service="ncbi")
    assert reply.body == b"fine" and reply.attempts == 2
    assert 3.0 in sleeps  # the server's Retry-After, not the 0.05 s backoff
    assert len(server.calls("/ok")) == 2


def test_500_then_success_backs_off(server):
    server.script("/ok", Reply(500, b"oops"), Reply(503, b"busy"))
    sleeps = Sleeps()
    http = client(server, sleep=sleeps)
    assert http.get(server.url + "ok", service="crossref").body == b"fine"
    assert [s for s in sleeps if s >= 0.05] == [0.05, 0.1]  # exponential backoff
    assert http.stats.retries == 2 and http.stats.requests == 3


def test_persistent_500_is_a_clear_error_after_bounded_attempts(server):
    server.script("/ok", *[Reply(500, b"database down")] * 5)
    with pytest.raises(ServerError, match=r"HTTP 500\) after 3 attempt\(s\): database down"):
        client(server, sleep=Sleeps()).get(server.url + "ok", service="ncbi", what="PubMed search")
    assert len(server.calls("/ok")) == 3


def test_persistent_429_and_excessive_retry_after(server):
    server.script("/ok", *[Reply(429, b"", {"Retry-After": "1"})] * 3)
    with pytest.raises(RateLimited, match="NCBI_API_KEY"):
        client(server, sleep=Sleeps()).get(server.url + "ok", service="ncbi")
    server.script("/ok", Reply(429, b"", {"Retry-After": "3600"}))
    with pytest.raises(RateLimited, match="asks to wait 3600 s"):
        client(server, sleep=Sleeps(), max_wait=60).get(server.url + "ok", service="ncbi")


def test_slow_answer_past_the_timeout_is_retried(server):
    server.script("/ok", Reply(200, b"late", delay=1.5))
    http = client(server, read_timeout=0.5)
    assert http.get(server.url + "ok", service="ncbi").body == b"fine"
    assert http.stats.retries == 1


def test_always_slow_is_a_clear_error(server):
    server.script("/ok", *[Reply(200, b"late", delay=0.6)] * 3)
    with pytest.raises(ConnectionFailed, match=r"no answer within 0.2 s after 3 attempt"):
        client(server, read_timeout=0.2).get(server.url + "ok", service="ncbi")


def test_truncated_body_is_retried_then_reported(server):
    server.script("/ok", Reply(200, b"x" * 1000, truncate_at=100))
    http = client(server)
    assert http.get(server.url + "ok", service="ncbi").body == b"fine"
    server.script("/ok", *[Reply(200, b"x" * 1000, truncate_at=100)] * 3)
    with pytest.raises(ConnectionFailed, match="cut off"):
        http.get(server.url + "ok", service="ncbi")


def test_404_and_400_are_not_retried(server):
    http = client(server, sleep=Sleeps())
    with pytest.raises(NotFound, match="Resource not found"):
        http.get(server.url + "nothing-here", service="crossref")
    server.script("/ok", Reply(400, b"Invalid API key"))
    with pytest.raises(RequestRejected, match="HTTP 400.*Invalid API key"):
        http.get(server.url + "ok", service="ncbi")
    assert len(server.calls("/nothing-here")) == 1 and http.stats.retries == 0


def test_connection_refused_is_a_clear_error():
    with LocalServer() as srv:
        url = srv.url
    http = HttpClient(Settings(backoff=0.01, retries=1, connect_timeout=1, read_timeout=1), sleep=Sleeps())
    with pytest.raises(ConnectionFailed, match="check the network or the service URL"):
        http.get(url + "ok", service="ncbi")


def test_a_host_name_that_does_not_resolve_fails_after_one_retry(monkeypatch):
    """No network (or a wrong host): the name lookup fails; one more try, then a clear error, not the whole
    backoff ladder (16 s offline before). The lookup is refused by the socket layer here: no test leaves the
    machine."""
    import socket

    real = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    sleeps = Sleeps()
    http = HttpClient(Settings(backoff=0.01, retries=5, connect_timeout=1, read_timeout=1, ncbi_rate=1000.0),
                      sleep=sleeps)
    with pytest.raises(ConnectionFailed, match="could not be resolved after 2 attempt"):
        http.get("http://eutils.reflib-test.invalid/efetch.fcgi", service="ncbi")
    assert http.stats.requests == 2 and http.stats.retries == 1  # (the rate limiter may sleep too)


def test_identification_ncbi_and_crossref(server):
    http = client(server, email="editor@example.org", ncbi_api_key="KEY123")
    http.get(server.url + "ok", {"db": "pubmed"}, service="ncbi")
    http.get(server.url + "ok", service="crossref")
    ncbi, crossref = server.calls("/ok")
    assert ncbi.params == {"db": "pubmed", "tool": "reflib", "email": "editor@example.org", "api_key": "KEY123"}
    assert crossref.params == {"mailto": "editor@example.org"}
    assert "mailto:editor@example.org" in crossref.headers["User-Agent"]
    assert http.limiters["ncbi"].rate == 1000.0
    assert HttpClient(Settings(ncbi_api_key="K")).limiters["ncbi"].rate == 10.0
    assert HttpClient(Settings()).limiters["ncbi"].rate == 3.0


def test_crossref_rate_limit_headers_slow_the_client(server):
    server.script("/ok", Reply(200, b"{}", {"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Interval": "1s"}))
    http = client(server)
    http.get(server.url + "ok", service="crossref")
    assert http.limiters["crossref"].rate == 5.0


def test_client_stays_under_a_rate_limited_server():
    """Eight requests at once against a server that allows 10/s (burst 3): none is refused and none retried."""
    with LocalServer(rate=10, burst=3) as srv:
        srv.route("/ok", lambda r: Reply(200, b"fine"))
        http = HttpClient(Settings(eutils_url=srv.url, ncbi_rate=10, backoff=0.01))
        for _ in range(8):
            http.get(srv.url + "ok", service="ncbi")
    assert srv.rejected == 0 and http.stats.retries == 0 and len(srv.requests) == 8


def test_client_spaces_requests_by_its_rate_on_a_fake_clock(server):
    """The client's own limiter (fake clock, no real waiting): 8 requests at 10/s wait 0.1 s before each but the first."""
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        now[0] += seconds

    http = HttpClient(Settings(eutils_url=server.url, ncbi_rate=10, backoff=0.01), sleep=sleep, clock=lambda: now[0])
    for _ in range(8):
        http.get(server.url + "ok", service="ncbi")
    assert waits == [0.1] * 7 and now[0] == pytest.approx(0.7)
    assert http.limiters["ncbi"].waited == pytest.approx(0.7) and len(server.calls("/ok")) == 8


def test_rate_limiter_token_bucket_with_fake_clock():
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert waits == [0.25, 0.25, 0.25, 0.25] and now[0] == pytest.approx(1.0)
    burst = RateLimiter(2, burst=3, clock=lambda: now[0], sleep=sleep)
    waits.clear()
    for _ in range(4):
        burst.acquire()
    assert waits == [0.5]
    burst.slow_down(1)
    assert burst.rate == 1
    burst.slow_down(5)
    assert burst.rate == 1


def test_retry_after_parsing():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = 1_700_000_000.0  # a fixed clock: an HTTP date 30 s later means wait 30 s
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_settings_from_environment():
    settings = Settings.from_env({"REFLIB_EUTILS_URL": "http://mirror/eutils/", "NCBI_API_KEY": "abc",
                                  "REFLIB_EMAIL": "me@example.org", "REFLIB_HTTP_TIMEOUT": "2.5",
                                  "REFLIB_HTTP_RETRIES": "1", "REFLIB_HTTP_BACKOFF": "0.01"})
    assert settings.eutils_url == "http://mirror/eutils/" and settings.crossref_url == "https://api.crossref.org/"
    assert (settings.ncbi_api_key, settings.email, settings.read_timeout, settings.retries) == (
        "abc", "me@example.org", 2.5, 1)
    assert settings.effective_ncbi_rate == 10.0
    with pytest.raises(SourceError, match="REFLIB_HTTP_TIMEOUT"):
        Settings.from_env({"REFLIB_HTTP_TIMEOUT": "soon"})


@pytest.mark.parametrize(("name", "value"), [
    ("REFLIB_HTTP_RETRIES", "-1"), ("REFLIB_HTTP_BACKOFF", "-0.5"), ("REFLIB_HTTP_TIMEOUT", "0"),
    ("REFLIB_HTTP_TIMEOUT", "-3"), ("REFLIB_HTTP_MAX_WAIT", "-1"), ("REFLIB_NCBI_RATE", "-2"),
    ("REFLIB_CROSSREF_RATE", "0"),
])
def test_settings_refuse_values_out_of_range(name, value):
    """A negative retry count made every request fail with 'AssertionError: unreachable', a zero timeout or
    Crossref rate with a ValueError from deep inside: the variable is named instead."""
    with pytest.raises(SourceError, match=name):
        Settings.from_env({name: value})
