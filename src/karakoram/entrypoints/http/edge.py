"""The HTTP edge: a pure ASGI middleware around the whole app, first to see every request.

For each request it
- takes a sane `X-Request-ID` (or makes one), binds it for the logs and echoes it;
- counts the body's bytes while they stream in, against the route's limit (`body_limits`),
  and answers 413 as soon as it is passed, or at once when `Content-Length` says it will be;
  then, while the client is still sending, it holds the connection open for a moment
  (`LINGER_SECONDS`) without reading more, so that the 413 reaches the client before the
  connection closes: closed at once with unread bytes, the kernel resets it and the answer is
  often lost (tests/e2e/test_memory.py); read and dropped instead, 100 clients at once grew
  the process by over 100 MB;
- lets at most `LARGE_BODIES` bodies past `LARGE_BODY_BYTES` stream in at once: the others
  wait (unread, in the kernel) for their turn, so what bodies hold in memory is bounded by
  that many limits, not by the number of clients (100 clients streaming at once each held up
  to their route's 1 MB, some 100 MB in all); a refused body keeps its turn while the edge
  lingers (released sooner, 100 lingering connections held as much again);
- adds the browser headers (CSP, frame-ancestors, nosniff, Referrer-Policy, HSTS over https),
  each unless the response set its own (ReDoc's page sets a wider CSP: http/docs.py);
- answers an exception nothing else handled with a 500 (problem+json, or the UI's error page
  for a browser) carrying the request id, and logs it with its traceback;
- logs one access line per request (method, route template, path, status, duration, request
  id, the user when signed in) and hands the same facts to the node's metrics (`observe`).

It runs outside the routing, so nothing it refuses has touched a route, a dependency or a role
check. Refusals are built by `errors.edge_problem`, the one place answers are shaped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from karakoram.entrypoints.http.errors import EdgeRefusal, edge_response
from karakoram.entrypoints.http.logs import bind_request_id, request_id_from, unbind_request_id

log = logging.getLogger("karakoram.http")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
BROWSER_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
#: how long the edge holds a connection whose body it refused while the client still sends
LINGER_SECONDS = 0.5
#: a body past this many bytes is large; this many large bodies stream in at once
LARGE_BODY_BYTES = 256 * 1024
LARGE_BODIES = 8

#: what the edge tells of each request: method, route template, status, seconds
Observe = Callable[[str, str, int, float], None]


class BodyLimits:
    """The byte limit of a request body by path: the longest configured prefix wins."""

    def __init__(self, default: int, by_prefix: Mapping[str, int]) -> None:
        self.default = default
        self.by_prefix = sorted(by_prefix.items(), key=lambda item: -len(item[0]))

    def of(self, path: str) -> int:
        return next((n for p, n in self.by_prefix if path.startswith(p)), self.default)


class Edge:
    """The middleware (see the module's docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, observe: Observe | None = None) -> None:
        self.app = app
        self.limits = limits
        self.observe = observe
        self._large: anyio.Semaphore | None = None

    def large_bodies(self) -> anyio.Semaphore:
        """The turns of large bodies, made in the server's event loop on first use."""
        if self._large is None:
            self._large = anyio.Semaphore(LARGE_BODIES)
        return self._large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        request_id = request_id_from(headers.get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        exchange = _Exchange(scope, send, request_id)
        try:
            await self._serve(scope, headers, receive, exchange)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": exchange.status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user": _user(scope),
                },
            )
            if self.observe is not None:
                self.observe(_method(scope), route, exchange.status, seconds)
            unbind_request_id(token)

    async def _serve(
        self, scope: Scope, headers: dict[str, str], receive: Receive, exchange: _Exchange
    ) -> None:
        limit = self.limits.of(scope["path"])
        exchange.linger = _linger
        try:
            _check_announced(headers, limit)
        except EdgeRefusal as refusal:
            await exchange.answer(refusal)
            return
        counter = _Counter(receive, limit, self.large_bodies())
        exchange.counter = counter
        exchange.linger = counter.drop_the_rest
        try:
            await self.app(scope, counter.receive, exchange.send_app)
        except Exception as exc:
            if counter.over:
                await exchange.answer(counter.refusal())
                return
            log.error(
                "unhandled exception", exc_info=exc, extra={"request_id": exchange.request_id}
            )
            await exchange.answer(EdgeRefusal.internal())
            return
        finally:
            counter.release()
        if counter.over:
            await exchange.answer(counter.refusal())


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (`/declarations/{mrn}`), so that a
    label never holds an MRN; `unmatched` when no route did (a 404, a refusal at the edge)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "unmatched"


#: methods a metric names; any other (a client may send any token) is counted as OTHER
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method(scope: Scope) -> str:
    method = str(scope["method"])
    return method if method in METHODS else "OTHER"


def _user(scope: Scope) -> str | None:
    """The signed-in caller's name (an API key's user, or the web UI's viewer), if any."""
    state = scope.get("state") or {}
    principal = state.get("principal") or state.get("viewer")
    name = getattr(principal, "name", None)
    return name if isinstance(name, str) else None


def _check_announced(headers: dict[str, str], limit: int) -> None:
    """A body that says it will be too large is refused before a byte of it is read."""
    length = headers.get("content-length")
    if length is not None and (not (length.isascii() and length.isdigit()) or len(length) > 18):
        raise EdgeRefusal.bad_length()
    if length is not None and int(length) > limit:
        raise EdgeRefusal.too_large(limit)


async def _linger() -> None:
    """Hold a refused request's connection for a moment while its client still sends, reading
    nothing more: the kernel holds what comes, not the process (see the module's docstring)."""
    await anyio.sleep(LINGER_SECONDS)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class _Counter:
    """Counts a body's bytes as the app receives them; past the limit, the app is told the
    client went away (so nothing more is read or parsed) and the edge answers 413."""

    def __init__(self, receive: Receive, limit: int, large: anyio.Semaphore) -> None:
        self._receive = receive
        self.limit = limit
        self._large = large
        self._turn = False
        self.received = 0
        self.over = False
        #: the client sent its last byte (nothing is left to drop after a refusal)
        self.ended = False

    async def receive(self) -> Message:
        if self.over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.ended = not message.get("more_body", False)
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.over = True
                return {"type": "http.disconnect"}
            if self.received > LARGE_BODY_BYTES and not self._turn and not self.ended:
                await self._large.acquire()  # wait for a turn, reading nothing more meanwhile
                self._turn = True
        return message

    def release(self) -> None:
        if self._turn:
            self._turn = False
            self._large.release()

    def refusal(self) -> EdgeRefusal:
        return EdgeRefusal.too_large(self.limit)

    async def drop_the_rest(self) -> None:
        if not self.ended:
            await _linger()


class _Exchange:
    """The response side: adds the edge's headers, and lets the edge answer instead of the
    app when the app has not started its response."""

    def __init__(self, scope: Scope, send: Send, request_id: str) -> None:
        self.scope = scope
        self._send = send
        self.request_id = request_id
        self.started = False
        self.status = 0
        self.silenced = False
        self.counter: _Counter | None = None
        self.linger: Callable[[], Awaitable[None]] | None = None
        self._extra = [*BROWSER_HEADERS, (b"x-request-id", request_id.encode())]
        if scope.get("scheme") == "https":
            self._extra.append(HSTS)

    async def send_app(self, message: Message) -> None:
        if self.silenced or (self.counter is not None and self.counter.over):
            return  # past the body limit: whatever the app says, the edge answers 413
        await self._send_out(message)

    async def _send_out(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = int(message["status"])
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in self._extra if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await self._send(message)

    async def answer(self, refusal: EdgeRefusal) -> None:
        """Send the edge's own answer, unless the app's response has begun (then the
        connection is all that can be cut, which the server does)."""
        if self.started:
            self.silenced = True
            return
        self.silenced = True
        response = edge_response(self.scope, refusal, self.request_id)
        start = {"status": response.status_code, "headers": response.raw_headers}
        await self._send_out({"type": "http.response.start", **start})
        await self._send_out(
            {"type": "http.response.body", "body": response.body, "more_body": True}
        )
        if refusal.status == 413 and self.linger is not None:
            await self.linger()  # the answer is out, whole (Content-Length): let it arrive
        await self._send_out({"type": "http.response.body", "body": b""})


def install_edge(app: Any, limits: BodyLimits, observe: Observe | None = None) -> None:
    """Put the edge around `app` (a FastAPI or Starlette app): the last middleware added is
    the outermost one. `observe(method, route, status, seconds)` is told of each request."""
    app.add_middleware(Edge, limits=limits, observe=observe)
