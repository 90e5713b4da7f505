"""Rate-limit windows, driven by a fake clock (no sleeping)."""

import pytest

from mockflow.auth.keys import RateLimit
from mockflow.auth.ratelimit import RateLimiter

LIMIT = RateLimit(3, 10.0)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def allowed(limiter: RateLimiter, n: int) -> list[bool]:
    return [limiter.hit("k", LIMIT).allowed for _ in range(n)]


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_the_request_after_the_limit_is_refused_with_retry_after(window):
    limiter = RateLimiter(window=window, clock=Clock())
    assert allowed(limiter, 3) == [True, True, True]
    refused = limiter.hit("k", LIMIT)
    assert not refused.allowed
    assert refused.headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "10",
        "Retry-After": "10",
    }


def test_remaining_counts_down():
    limiter = RateLimiter(clock=Clock())
    assert [limiter.hit("k", LIMIT).remaining for _ in range(3)] == [2, 1, 0]


def test_fixed_window_starts_over_when_it_closes():
    clock = Clock()
    limiter = RateLimiter(window="fixed", clock=clock)
    allowed(limiter, 2)
    clock.t += 9.0
    assert allowed(limiter, 2) == [True, False]  # the third of the first window, then refused
    clock.t += 1.0
    assert allowed(limiter, 3) == [True, True, True]


def test_sliding_window_frees_one_slot_per_expired_request():
    clock = Clock()
    limiter = RateLimiter(window="sliding", clock=clock)
    allowed(limiter, 1)
    clock.t += 5.0
    allowed(limiter, 2)
    clock.t += 5.0  # the first request is now 10 s old: one slot free
    assert allowed(limiter, 2) == [True, False]
    # The oldest counted request (at +5 s) leaves the window at +15 s, 5 s from now.
    assert limiter.hit("k", LIMIT).reset_seconds == pytest.approx(5.0)


def test_keys_are_counted_separately_and_reset_forgets():
    limiter = RateLimiter(clock=Clock())
    allowed(limiter, 3)
    assert limiter.hit("other", LIMIT).allowed
    limiter.reset("k")
    assert limiter.hit("k", LIMIT).allowed


def test_unknown_window_is_rejected():
    with pytest.raises(ValueError, match="fixed, sliding"):
        RateLimiter(window="leaky")
