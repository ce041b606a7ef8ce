"""Rate limits of public and abusable routes (P6): public input must never stall or bloat the process.

Fixed windows counted in PostgreSQL (`rate_limits`), so that every API process shares the limits:
one atomic `INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 ... RETURNING hits` per bucket, in
its own short transaction (a request's own transaction would hold the row lock for the whole
request, and roll the count back when the request fails). Ended windows are purged opportunistically.

A bucket is `<limit>:<what>:<keyed hash>`: the client IP (personal data) and any other key are
stored only as an HMAC-SHA256 under a server secret.

The client IP is the peer address of the connection. X-Forwarded-For is believed only when that peer
is one of `trusted_proxies`, and then only up to the first hop that is not itself a trusted proxy
(everything left of it was written by the client and may be forged).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import RateLimit, Settings
from db import rate_limits
from domain.text import first_refused

from .errors import too_many_requests

Clock = Callable[[], datetime]
LimitOf = Callable[[Settings], RateLimit]
KeyOf = Callable[[Request], Awaitable[str | None]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def window_of(now: datetime, limit: RateLimit) -> tuple[datetime, int]:
    """The start of the fixed window `now` falls in (aligned on the epoch, the same in every process)
    and the whole seconds until it ends (at least 1: what Retry-After says)."""
    ts = now.timestamp()
    start = math.floor(ts / limit.seconds) * limit.seconds
    return datetime.fromtimestamp(start, UTC), max(1, math.ceil(start + limit.seconds - ts))


@dataclass
class RateLimiter:
    """Counts hits; `clock` and `draw` (the purge lottery) are injected so tests control time."""

    clock: Clock = _utcnow
    draw: Callable[[], float] = field(default=random.random)

    async def hit(
        self,
        sessions: async_sessionmaker[AsyncSession],
        buckets: Sequence[tuple[str, RateLimit]],
        *,
        retention: timedelta,
        purge_probability: float,
    ) -> int | None:
        """Count one request in each bucket, in order, and stop at the first that is full: the seconds
        until its window ends, or None when the request may go ahead."""
        now = self.clock()
        async with sessions.begin() as s:
            for bucket, limit in buckets:
                start, remaining = window_of(now, limit)
                hits = await rate_limits.count_hit(s, bucket=bucket, window_start=start, limit=limit.hits)
                if hits is None:
                    return remaining
            if self.draw() < purge_probability:
                await rate_limits.purge_before(s, now - retention)
        return None


def keyed_hash(cfg: Settings, value: str) -> str:
    """HMAC-SHA256 of `value` under the rate-limit secret (128 bits in hex): a bucket never holds a
    raw IP address or raw input."""
    return hmac.new(cfg.rate_limit_key, value.encode("utf-8", "surrogatepass"), sha256).hexdigest()[:32]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, networks: Sequence[str]) -> bool:
    addr = _address(text)
    return addr is not None and any(addr in ipaddress.ip_network(n) for n in networks)


def client_ip(request: Request, cfg: Settings) -> str:
    """The client's address: the connection's peer, or, behind a trusted proxy, the last address of
    X-Forwarded-For that is not a trusted proxy itself."""
    peer = request.client.host if request.client else ""
    if not cfg.trusted_proxies or not _trusted(peer, cfg.trusted_proxies):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, cfg.trusted_proxies):
            return hop
    return hops[0] if hops else peer


def client_key(ip: str) -> str:
    """What one client is counted as: an IPv4 address, or the /64 network of an IPv6 address (one
    subscriber usually holds a whole /64, so per-address counting would let it walk around a limit)."""
    addr = _address(ip)
    if addr is None:
        return ip[:100]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


def json_field(name: str, *, max_length: int = 64) -> KeyOf:
    """A key read from a field of the JSON body (e.g. the application an objection targets). The body
    is not validated yet when the limit is checked: a missing or malformed value counts nothing here,
    and validation refuses the request afterwards."""

    async def key(request: Request) -> str | None:
        try:
            body: Any = await request.json()
        except ValueError:
            return None
        return _key_of(body.get(name) if isinstance(body, dict) else None, max_length)

    return key


def form_field(name: str, *, max_length: int = 64) -> KeyOf:
    """A key read from a field of a submitted form (the portal's objection form), read like
    `json_field`: a missing or malformed value counts nothing here."""

    async def key(request: Request) -> str | None:
        return _key_of((await request.form()).get(name), max_length)

    return key


def _key_of(value: object, max_length: int) -> str | None:
    """The key a field's value counts under, or None for a missing or malformed value."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        return None
    if first_refused(value, single_line=True) is not None:
        return None
    return value.strip().casefold()


def rate_limited(
    name: str, *, per_ip: LimitOf | None = None, per_key: tuple[str, LimitOf, KeyOf] | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A dependency that counts the request against limit `name`: per client IP (`per_ip` picks the
    limit from the settings) and/or per key (`per_key` = (what the key is, its limit, how to read
    it)). Over a limit: 429 RATE_LIMITED with Retry-After (the seconds until that window ends)."""

    async def check(request: Request) -> None:
        cfg: Settings = request.app.state.settings
        buckets: list[tuple[str, RateLimit]] = []
        if per_ip is not None:
            ip = client_key(client_ip(request, cfg))
            buckets.append((f"{name}:ip:{keyed_hash(cfg, ip)}", per_ip(cfg)))
        if per_key is not None:
            what, limit_of, key_of = per_key
            if (key := await key_of(request)) is not None:
                buckets.append((f"{name}:{what}:{keyed_hash(cfg, key)}", limit_of(cfg)))
        limiter: RateLimiter = request.app.state.rate_limiter
        wait = await limiter.hit(
            request.app.state.sessions,
            buckets,
            retention=cfg.rate_limit_retention,
            purge_probability=cfg.rate_limit_purge_probability,
        )
        if wait is not None:
            raise too_many_requests(wait)

    return check


# The limits of the routes (applied with `dependencies=[Depends(...)]`).
def _objection_limits(target: KeyOf) -> Callable[[Request], Awaitable[None]]:
    """The objection limits, in the same buckets whichever way the objection comes: the API's JSON
    body or the portal's form (api/routes/portal.py)."""
    return rate_limited(
        "objection",
        per_ip=lambda cfg: cfg.rate_limit_objection_per_ip,
        per_key=("application", lambda cfg: cfg.rate_limit_objection_per_application, target),
    )


objection_limits = _objection_limits(json_field("application_id"))
objection_form_limits = _objection_limits(form_field("application_id"))
sign_in_limits = rate_limited("sign-in", per_ip=lambda cfg: cfg.rate_limit_sign_in_per_ip)
