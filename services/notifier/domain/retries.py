"""After a failed attempt: when to try again, or when to give up (a dead letter)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GiveUp", "RetryLater", "RetryPolicy", "after_failure"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off: the first retry waits ``first_delay`` seconds, each later one twice
    as long as the one before, never longer than ``max_delay``; after ``max_attempts`` attempts
    the job is given up."""

    max_attempts: int
    first_delay: float
    max_delay: float

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after the ``failed_attempts``-th failure."""
        return float(min(self.first_delay * 2 ** max(failed_attempts - 1, 0), self.max_delay))


@dataclass(frozen=True, slots=True)
class RetryLater:
    """Attempt again at ``at`` (epoch seconds)."""

    at: float
    failed_attempts: int


@dataclass(frozen=True, slots=True)
class GiveUp:
    """No attempts left: the job becomes a dead letter."""

    failed_attempts: int


def after_failure(
    policy: RetryPolicy, failed_before: int, now: float, *, permanent: bool = False
) -> RetryLater | GiveUp:
    """Decide what follows a failed attempt, given the failures before it; a permanent failure
    is given up at once."""
    failed = failed_before + 1
    if permanent or failed >= policy.max_attempts:
        return GiveUp(failed)
    return RetryLater(at=now + policy.delay(failed), failed_attempts=failed)
