"""Token-bucket rate limits and login backoff: in memory per process, or shared
through Redis.

A bucket holds up to `burst` tokens and refills at `rate` tokens per second; an
attempt takes one token or is refused with the time until one is back (`peek` tells
without taking). A backoff counts consecutive failures per key: past `free` of them,
each failure closes the key for 1, 2, 4, ... seconds (at most `cap`); a success
clears it. With OPENGOVFOOD_REDIS_URL both live in Redis, each step one Lua script
(atomic, with Redis's clock), so the limits hold across workers and instances. If
Redis cannot be reached, each process falls back to its own state rather than
refusing every login or letting every attempt through.

Logins (OWASP's authentication guidance: slow the attacker, never lock the owner
out):
- per client address: anyone guessing many accounts from one place is slowed;
- per email AND address: one place guessing one account is slowed, and past five
  consecutive failures it backs off exponentially, up to 15 minutes;
- per email, a higher ceiling that counts failed attempts only: a guess from many
  places is capped, while the owner's own successful sign-ins cost it nothing and,
  from their address, meet none of the attacker's buckets.
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
    async def take(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        """Take `cost` tokens (0: only look); 0.0 when allowed, else the seconds until
        one is available."""
        ...

    async def backoff_wait(self, key: str) -> float:
        """Seconds until `key` may try again after its failures (0.0: now)."""
        ...

    async def backoff_fail(self, key: str, free: int, cap: float) -> None:
        """Count a failure; past `free` consecutive ones, close the key for 2^k seconds."""
        ...

    async def backoff_clear(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process. Full buckets are dropped when the table grows large
    (a full bucket and no bucket mean the same)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, closed until)

    async def take(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        return self.take_now(key, rate, burst, cost)

    def take_now(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._store(key, tokens - cost, now, rate, burst)
            return 0.0
        self._store(key, tokens, now, rate, burst)
        return (1.0 - tokens) / rate

    async def backoff_wait(self, key: str) -> float:
        return self.backoff_wait_now(key)

    def backoff_wait_now(self, key: str) -> float:
        _, until = self._failures.get(key, (0, 0.0))
        return max(0.0, until - time.monotonic())

    async def backoff_fail(self, key: str, free: int, cap: float) -> None:
        self.backoff_fail_now(key, free, cap)

    def backoff_fail_now(self, key: str, free: int, cap: float) -> None:
        now = time.monotonic()
        count, until = self._failures.get(key, (0, 0.0))
        if until and now - until > cap:
            count = 0  # quiet for longer than the longest wait: start over
        count += 1
        if count > free:
            until = now + min(cap, 2.0 ** (count - free - 1))
        if key not in self._failures and len(self._failures) >= self._max_keys:
            self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
            if len(self._failures) >= self._max_keys:
                self._failures.clear()
        self._failures[key] = (count, until)

    async def backoff_clear(self, key: str) -> None:
        self._failures.pop(key, None)

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
        self._failures.clear()


# KEYS[1] bucket; ARGV rate (tokens/s), burst, cost (1 take, 0 look). Returns
# {allowed, seconds to wait}. Numbers go back as strings: Redis truncates Lua floats.
_TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3] or '1')
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
  tokens = tokens - cost
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, string.format('%.6f', wait)}
"""

# KEYS[1] backoff; ARGV free, cap (s). Counts a failure; past `free` closes the key
# for 2^(n-free-1) s (at most cap). Starts over after a quiet spell longer than cap.
_BACKOFF_FAIL_LUA = """
local free = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'count', 'until')
local count = tonumber(state[1]) or 0
local closed = tonumber(state[2]) or 0
if closed > 0 and now - closed > cap then
  count = 0
end
count = count + 1
if count > free then
  closed = now + math.min(cap, 2 ^ (count - free - 1))
end
redis.call('HSET', KEYS[1], 'count', count, 'until', string.format('%.6f', closed))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap * 2000) + 1000)
return 1
"""

# KEYS[1] backoff. Returns the seconds (as text) until it opens.
_BACKOFF_WAIT_LUA = """
local closed = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') or 0
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
return string.format('%.6f', math.max(0, closed - now))
"""


class RedisBuckets:
    """Buckets shared through Redis; keys are `prefix + key` and expire once full."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_TOKEN_BUCKET_LUA)
        self._fail_script = client.register_script(_BACKOFF_FAIL_LUA)
        self._wait_script = client.register_script(_BACKOFF_WAIT_LUA)
        self._fallback = MemoryBuckets()
        self._last_warning = 0.0

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisBuckets:
        from redis.asyncio import Redis

        # Short timeouts: a slow Redis must not hold logins; the fallback takes over.
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix)

    def _unavailable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > 10:  # one line per 10 s, not one per RPC
            self._last_warning = now
            logger.warning(
                "redis unavailable; rate limits are per process for now",
                extra={"error": type(error).__name__},
            )

    async def take(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        from redis.exceptions import RedisError

        try:
            allowed, wait = await self._script(keys=[self._prefix + key], args=[rate, burst, cost])
        except (RedisError, OSError, TimeoutError) as error:
            self._unavailable(error)
            return self._fallback.take_now(key, rate, burst, cost)
        return 0.0 if int(allowed) == 1 else float(wait)

    async def backoff_wait(self, key: str) -> float:
        from redis.exceptions import RedisError

        try:
            return float(await self._wait_script(keys=[self._prefix + key]))
        except (RedisError, OSError, TimeoutError) as error:
            self._unavailable(error)
            return self._fallback.backoff_wait_now(key)

    async def backoff_fail(self, key: str, free: int, cap: float) -> None:
        from redis.exceptions import RedisError

        try:
            await self._fail_script(keys=[self._prefix + key], args=[free, cap])
        except (RedisError, OSError, TimeoutError) as error:
            self._unavailable(error)
            self._fallback.backoff_fail_now(key, free, cap)

    async def backoff_clear(self, key: str) -> None:
        from redis.exceptions import RedisError

        try:
            await self._client.delete(self._prefix + key)
        except (RedisError, OSError, TimeoutError) as error:
            self._unavailable(error)
        await self._fallback.backoff_clear(key)

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


# Consecutive failed logins per email and address before the backoff starts, and its
# longest wait (OWASP: exponential, not a lock that an attacker could hold closed).
LOGIN_FREE_FAILURES = 5
LOGIN_BACKOFF_CAP = 900.0


class RateLimits:
    """The limits the service applies: sign-in attempts and, optionally, all RPCs."""

    def __init__(self, buckets: Buckets, settings: Settings) -> None:
        self._buckets = buckets
        self.sign_in = Limit(settings.login_rate_per_minute / 60.0, settings.login_burst)
        self.login_email = Limit(
            settings.login_email_rate_per_minute / 60.0, settings.login_email_burst
        )
        self.refresh = Limit(settings.refresh_rate_per_minute / 60.0, settings.refresh_burst)
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

    async def check_login(self, email: str, client: str) -> None:
        """Before a login's password check: the address, the (email, address) pair and
        its backoff, and whether the email's failure ceiling still has room."""
        message = "too many login attempts; retry later"
        pair = f"{_digest(email)}:{_digest(client)}"
        await self._take(f"login:addr:{_digest(client)}", self.sign_in, message)
        await self._take(f"login:pair:{pair}", self.sign_in, message)
        wait = await self._buckets.backoff_wait(f"login:backoff:{pair}")
        if wait > 0:
            raise ResourceExhausted(message, retry_after=wait)
        ceiling = self.login_email
        wait = await self._buckets.take(
            f"login:email:{_digest(email)}", ceiling.rate_per_second, ceiling.burst, cost=0
        )
        if wait > 0:
            raise ResourceExhausted(message, retry_after=wait)

    async def login_failed(self, email: str, client: str) -> None:
        """A wrong password (or unknown email): it counts against the email's ceiling and
        the pair's backoff."""
        ceiling = self.login_email
        await self._buckets.take(
            f"login:email:{_digest(email)}", ceiling.rate_per_second, ceiling.burst
        )
        pair = f"{_digest(email)}:{_digest(client)}"
        await self._buckets.backoff_fail(
            f"login:backoff:{pair}", LOGIN_FREE_FAILURES, LOGIN_BACKOFF_CAP
        )

    async def login_succeeded(self, email: str, client: str) -> None:
        await self._buckets.backoff_clear(f"login:backoff:{_digest(email)}:{_digest(client)}")

    async def check_refresh(self, client: str) -> None:
        """RefreshToken per client address (hashing and a row lookup per attempt)."""
        await self._take(
            f"refresh:addr:{_digest(client)}", self.refresh, "too many token refreshes; retry later"
        )

    async def check_rpc(self, principal_key: str) -> None:
        if self.rpc is not None:
            await self._take(f"rpc:{_digest(principal_key)}", self.rpc, "too many requests")

    async def close(self) -> None:
        await self._buckets.close()
