"""Who may call the API and how often: API keys (``Authorization: Bearer <key>``), a per-key rate limit (per client
address when no keys are set), and a cap on request bodies, each answered in OpenAI's error shape."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request

from rag.core.config import Settings
from rag.http.errors import APIError, response

WINDOW_SECONDS = 60.0


class RateLimiter:
    """At most ``per_minute`` requests per caller in any 60-second window (0: no limit)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, caller: str, now: float | None = None) -> int | None:
        """Seconds until ``caller`` may call again, or ``None`` (and the call is counted) when it may now."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(caller, deque())
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return max(1, int(seen[0] + WINDOW_SECONDS - now + 0.999))
            seen.append(now)
            return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (127.0.0.0/8, ``::1``, ``localhost``)."""
    return host in ("localhost", "::1") or host.startswith("127.")


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Guard:
    """The check every ``/v1`` route runs first (a FastAPI dependency): a valid key when keys are set, then the rate
    limit of that key; without keys, the limit of the client's address, except for this machine's own clients."""

    def __init__(self, settings: Settings):
        self.keys = settings.api_key_list
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def key_ok(self, key: str | None) -> bool:
        return key is not None and any(hmac.compare_digest(key, k) for k in self.keys)

    def check_key(self, request: Request) -> str | None:
        """The request's key. :raises APIError: 401 when keys are set and it brings none of them."""
        key = bearer(request)
        if self.keys and not self.key_ok(key):
            message = ("Incorrect API key provided." if key else
                       "No API key provided: send the header 'Authorization: Bearer <key>' (one of api_keys).")
            raise APIError(401, message, code="invalid_api_key")
        return key

    def __call__(self, request: Request) -> str:
        key = self.check_key(request)
        host = request.client.host if request.client else "?"
        if not self.keys and (is_loopback(host) or host == "testclient"):  # testclient: Starlette's in-process client
            return f"addr:{host}"  # an open server's own machine is not rate limited (scripts, evaluation)
        caller = f"key:{key}" if self.keys else f"addr:{host}"
        wait = self.limiter.retry_after(caller)
        if wait is not None:
            raise APIError(429, f"Rate limit reached: {self.limiter.per_minute} requests per minute; retry in {wait} s.",
                           code="rate_limit_exceeded", headers={"Retry-After": str(wait)})
        return caller


ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class BodyLimit:
    """ASGI middleware: a request to a guarded path whose body is larger than ``limit`` bytes is refused with 413
    before it is read whole (by its Content-Length, or while it streams in)."""

    def __init__(self, app: ASGIApp, limit: int, prefixes: tuple[str, ...] = ("/v1",)):
        self.app, self.limit, self.prefixes = app, limit, prefixes

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        message = f"Request body larger than {self.limit // 1024} KB (max_request_kb)."
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await response(413, message, "request_too_large")(scope, receive, send)
            return
        received = 0

        async def limited() -> Any:
            nonlocal received
            event = await receive()
            if event.get("type") == "http.request":
                received += len(event.get("body", b""))
                if received > self.limit:
                    raise APIError(413, message, code="request_too_large")
            return event

        try:
            await self.app(scope, limited, send)
        except APIError as exc:
            await response(exc.status, exc.message, exc.code)(scope, receive, send)
