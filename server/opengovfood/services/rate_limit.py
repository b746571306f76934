"""Token-bucket rate limits: in memory per process, or shared through Redis.

A bucket holds up to `burst` tokens and refills at `rate` tokens per second; an
attempt takes one token or is refused with the time until one is back. With
OPENGOVFOOD_REDIS_URL the buckets live in Redis, updated by one Lua script
(atomic, with Redis's clock), so the limits hold across workers and instances.
If Redis cannot be reached, each process falls back to its own buckets rather
than refusing every login or letting every attempt through.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from opengovfood.config import Settings
from opengovfood.errors import ResourceExhausted

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("opengovfood.rate_limit")


class Buckets(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token; 0.0 when allowed, else the seconds until one is available."""
        ...

    async def close(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process. Full buckets are dropped when the table grows large
    (a full bucket and no bucket mean the same)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    async def take(self, key: str, rate: float, burst: int) -> float:
        return self.take_now(key, rate, burst)

    def take_now(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._store(key, tokens - 1.0, now, rate, burst)
            return 0.0
        self._store(key, tokens, now, rate, burst)
        return (1.0 - tokens) / rate

    def _store(self, key: str, tokens: float, now: float, rate: float, burst: int) -> None:
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            self._prune(now, rate, burst)
        self._buckets[key] = (tokens, now)

    def _prune(self, now: float, rate: float, burst: int) -> None:
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * rate >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:  # still full: forget the oldest half
            ordered = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in ordered[: len(ordered) // 2]:
                del self._buckets[key]

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1] bucket; ARGV rate (tokens/s), burst. Returns {allowed, seconds to wait}.
# Numbers go back as strings: Redis truncates Lua floats to integers.
_TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, string.format('%.6f', wait)}
"""


class RedisBuckets:
    """Buckets shared through Redis; keys are `prefix + key` and expire once full."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_TOKEN_BUCKET_LUA)
        self._fallback = MemoryBuckets()
        self._last_warning = 0.0

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisBuckets:
        from redis.asyncio import Redis

        # Short timeouts: a slow Redis must not hold logins; the fallback takes over.
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix)

    async def take(self, key: str, rate: float, burst: int) -> float:
        from redis.exceptions import RedisError

        try:
            allowed, wait = await self._script(keys=[self._prefix + key], args=[rate, burst])
        except (RedisError, OSError, TimeoutError) as error:
            now = time.monotonic()
            if now - self._last_warning > 10:  # one line per 10 s, not one per RPC
                self._last_warning = now
                logger.warning(
                    "redis unavailable; rate limits are per process for now",
                    extra={"error": type(error).__name__},
                )
            return self._fallback.take_now(key, rate, burst)
        return 0.0 if int(allowed) == 1 else float(wait)

    async def close(self) -> None:
        await self._client.aclose()


def make_buckets(settings: Settings) -> Buckets:
    if settings.redis_url:
        return RedisBuckets.from_url(settings.redis_url, settings.redis_key_prefix)
    return MemoryBuckets()


@dataclass(frozen=True, slots=True)
class Limit:
    rate_per_second: float
    burst: int


def client_key(peer: str) -> str:
    """The rate-limit identity of a gRPC peer (`ipv4:1.2.3.4:5678`, `ipv6:[::1]:5678`).
    IPv6 clients are grouped by /64: anyone holds a whole /64."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0] or rest
    if kind == "ipv6":
        host = rest.rpartition(":")[0].strip("[]") or rest
        try:
            return str(ipaddress.IPv6Network(f"{host}/64", strict=False))
        except ValueError:
            return host
    return peer


def _digest(value: str) -> str:
    # Emails are not kept in clear in Redis; a short hash is enough to tell them apart.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimits:
    """The limits the service applies: sign-in attempts and, optionally, all RPCs."""

    def __init__(self, buckets: Buckets, settings: Settings) -> None:
        self._buckets = buckets
        self.sign_in = Limit(settings.login_rate_per_minute / 60.0, settings.login_burst)
        self.rpc = (
            Limit(settings.rpc_rate_per_second, settings.rpc_burst)
            if settings.rpc_rate_per_second is not None
            else None
        )

    async def _take(self, key: str, limit: Limit, message: str) -> None:
        wait = await self._buckets.take(key, limit.rate_per_second, limit.burst)
        if wait > 0:
            raise ResourceExhausted(message, retry_after=max(wait, 0.001))

    async def check_sign_in(self, action: str, email: str, client: str) -> None:
        """Per client address first, then per email: either one empty refuses."""
        message = f"too many {action} attempts; retry later"
        await self._take(f"{action}:addr:{_digest(client)}", self.sign_in, message)
        if email:
            await self._take(f"{action}:email:{_digest(email)}", self.sign_in, message)

    async def check_rpc(self, principal_key: str) -> None:
        if self.rpc is not None:
            await self._take(f"rpc:{_digest(principal_key)}", self.rpc, "too many requests")

    async def close(self) -> None:
        await self._buckets.close()
