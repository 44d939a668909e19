"""Counts a service's state keys and outbox entries in Redis, to prove a refused call wrote nothing."""

from __future__ import annotations

import time

from redis import Redis

COUNT_STATE_KEYS = """
local n = 0
for _, key in ipairs(redis.call('KEYS', ARGV[1] .. ':*')) do
  local counted = true
  for i = 2, #ARGV do
    if string.find(key, ARGV[i], 1, true) then counted = false end
  end
  if counted then n = n + 1 end
end
local added = 0
if redis.call('EXISTS', ARGV[1] .. ':outbox') == 1 then
  -- entries ever added: the relay deleting published entries must not look like a write
  local info = redis.call('XINFO', 'STREAM', ARGV[1] .. ':outbox')
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] end
  end
end
return {n, added}
"""
# Idempotency records of consumed events, sessions and the directory seed are not what a call
# writes; every other key, and the outbox, must stay unchanged when a call is refused.
BACKGROUND_KEYS = (":inbox:", ":session:", ":dir:")


class StateProbe:
    """Counts a service's state keys and outbox length under its key prefix."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self.redis = Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix
        self.script = self.redis.register_script(COUNT_STATE_KEYS)

    def wait_quiet(self, quiet_seconds: float = 3.0, timeout: float = 90.0) -> None:
        """Wait until the service has caught up with the shared topics (no background writes)."""
        deadline = time.monotonic() + timeout
        last, since = self.snapshot(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            current = self.snapshot()
            if current != last:
                last, since = current, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
        raise AssertionError("the service never stopped writing in the background")

    def snapshot(self) -> tuple[int, int]:
        count, outbox = self.script(args=[self.prefix, *BACKGROUND_KEYS])
        return int(count), int(outbox)
