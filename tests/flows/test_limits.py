"""Rate limiters on a fake clock: spacing, catch-up, back-off and shared bookings, exactly.

The limiters take `monotonic` and `sleep`; here both are a `FakeClock` whose sleep moves time
on at once, so the tests assert exact intervals and never wait or flake under load. The
real-time check (a real server counting arrivals) is in test_http.py.
"""

from __future__ import annotations

import threading

import pytest

from flows.acquire.limit_backends import Schedule, book_on_scheduler
from flows.acquire.limits import HostRateLimiter, parse_rates
from flows.acquire.shared_limits import SharedRateLimiter


class FakeClock:
    """Time that moves only when someone sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def limiter_on(clock: FakeClock, rate: float = 50.0, **options: float) -> HostRateLimiter:
    return HostRateLimiter(rate, monotonic=clock.monotonic, sleep=clock.sleep, **options)


def send_times(limiter: HostRateLimiter, clock: FakeClock, count: int, host: str = "example.org") -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire(host)
        times.append(clock.monotonic())
    return times


def gaps(times: list[float], apart: int = 1) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[apart:], strict=False)]


def test_requests_leave_one_interval_apart():
    clock = FakeClock()
    limiter = limiter_on(clock, 50.0, safety=0.02)
    interval = 0.02 * 1.02  # 1/50 s plus the safety margin
    times = send_times(limiter, clock, 20)
    assert times[0] == 0.0  # the first request leaves at once
    assert gaps(times) == pytest.approx([interval] * 19)
    # Another host has its own slot: no wait.
    limiter.acquire("other.example")
    assert clock.monotonic() == times[-1]


def test_a_late_caller_is_credited_up_to_catch_up_and_no_more():
    clock = FakeClock()
    limiter = limiter_on(clock, 50.0, safety=0.02, catch_up=0.002)
    interval = 0.02 * 1.02
    limiter.acquire("example.org")
    clock.advance(interval + 0.005)  # the caller comes back 5 ms after its slot
    limiter.acquire("example.org")  # leaves at once, 5 ms late
    late_at = clock.monotonic()
    limiter.acquire("example.org")
    # The next slot is `interval` after the late request, less at most `catch_up`.
    assert clock.monotonic() - late_at == pytest.approx(interval - 0.002)


def test_threads_share_one_slot_per_host():
    clock = FakeClock()
    limiter = limiter_on(clock, 50.0, safety=0.02)
    interval = 0.02 * 1.02

    def worker() -> None:
        for _ in range(10):
            limiter.acquire("example.org")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 60 requests: the first at 0, then one interval each, whichever thread sent it.
    assert clock.monotonic() == pytest.approx(59 * interval)
    assert [s for s in clock.sleeps if s > 1e-9] == pytest.approx([interval] * 59)


def test_rates_per_host_and_for_cdx():
    limiter = HostRateLimiter(50.0, {"News.Example": 5.0, "news.example#cdx": 0.1})
    assert limiter.rate_for("other.org") == 50.0
    assert limiter.rate_for("news.example") == 5.0
    assert limiter.rate_for("news.example", "cdx") == 0.1
    assert limiter.rate_for("web.archive.org", "cdx") == 0.4  # the polite CDX default
    assert HostRateLimiter(None).rate_for("x.example") is None  # no limit


def test_block_holds_every_request_to_the_host_until_it_ends():
    clock = FakeClock()
    limiter = limiter_on(clock, 50.0)
    limiter.acquire("example.org")
    limiter.block("example.org", 1.5)  # a 429 with Retry-After: 1.5
    assert limiter.blocked_for("example.org") == 1.5
    assert limiter.blocked_for("other.example") == 0.0
    limiter.acquire("other.example")
    assert clock.monotonic() == 0.0  # other hosts are not held back
    limiter.acquire("example.org")
    assert clock.monotonic() == pytest.approx(1.5)
    assert limiter.blocked_for("example.org") == 0.0


def test_slow_down_lowers_the_rate_and_never_raises_it():
    clock = FakeClock()
    limiter = limiter_on(clock, 50.0, safety=0.0)
    limiter.acquire("example.org")  # the slot exists: slowing down must reach it too
    assert limiter.slow_down("example.org", 10.0) == 10.0  # a robots.txt Crawl-delay of 0.1 s
    assert limiter.slow_down("example.org", 20.0) == 10.0  # a higher rate is ignored
    assert limiter.rate_for("example.org") == 10.0
    times = send_times(limiter, clock, 3)
    # The slot booked before the change stays (1/50 s); after it, 1/10 s apart.
    assert times == pytest.approx([0.02, 0.12, 0.22])
    unlimited = limiter_on(clock, None)
    assert unlimited.slow_down("example.org", 2.0) == 2.0  # a Crawl-delay limits an unlimited host


def test_parse_rates():
    assert parse_rates(["3"]) == (3.0, {})
    assert parse_rates(["web.archive.org=8", "1.5"]) == (1.5, {"web.archive.org": 8.0})
    assert parse_rates(["News.Example#cdx=0.2"]) == (None, {"news.example#cdx": 0.2})
    with pytest.raises(ValueError):
        parse_rates(["fast"])
    with pytest.raises(ValueError):
        parse_rates(["0"])


# -- shared limits: the Dask scheduler's booking function, on the fake clock ----------------------


class SchedulerState:
    """Stands in for the Dask scheduler object the booking function keeps its state on."""


class FakeDaskSchedule(Schedule):
    """`DaskSchedule` without Dask: the same booking function, called in-process."""

    def __init__(self, clock: FakeClock, namespace: str = "run") -> None:
        self.clock = clock
        self.namespace = namespace
        self.scheduler = SchedulerState()

    def _book(self, host: str, kind: str, count: int, interval: float, block: float = 0.0) -> tuple[float, float]:
        key = f"{self.namespace}/{host}#{kind}"
        return book_on_scheduler(key, count, interval, block, now=self.clock.now, dask_scheduler=self.scheduler)

    def book(self, host: str, kind: str, count: int, interval: float) -> tuple[float, float]:
        return self._book(host, kind, count, interval)

    def block(self, host: str, seconds: float) -> None:
        for kind in ("content", "cdx"):
            self._book(host, kind, 0, 0.0, seconds)

    def slow_down(self, host: str, kind: str, interval: float) -> None:
        self._book(host, kind, 0, interval)


def shared_limiter(clock: FakeClock, schedule: Schedule, rate: float = 20.0) -> SharedRateLimiter:
    return SharedRateLimiter(schedule, rate, monotonic=clock.monotonic, sleep=clock.sleep)


def take_turns(limiters: list[SharedRateLimiter], clock: FakeClock, rounds: int) -> list[float]:
    """Each "process" sends one request per round, in turn; the send times, in order."""
    times = []
    for _ in range(rounds):
        for limiter in limiters:
            limiter.acquire("news.example")
            times.append(clock.monotonic())
    return times


def test_two_processes_share_one_limit_and_use_all_of_it():
    clock = FakeClock()
    schedule = FakeDaskSchedule(clock)
    first, second = shared_limiter(clock, schedule), shared_limiter(clock, schedule)
    interval = 1.08 / 20.0  # the 8 % safety margin
    times = take_turns([first, second], clock, 25)
    # Together never faster than the limit, and no booked time left idle: exactly one interval apart.
    assert gaps(times) == pytest.approx([interval] * 49)
    assert first.booking_count == second.booking_count == 25  # batch 1: one booking per request
    assert first.given_up_count == second.given_up_count == 0


def test_a_block_and_a_slow_down_in_one_process_hold_for_the_other():
    clock = FakeClock()
    schedule = FakeDaskSchedule(clock)
    first, second = shared_limiter(clock, schedule), shared_limiter(clock, schedule)
    interval = 1.08 / 20.0
    take_turns([first, second], clock, 3)
    before = clock.monotonic()
    # The first process gets a 429 with Retry-After: 1: it blocks the host and halves the rate.
    first.block("news.example", 1.0)
    first.slow_down("news.example", 10.0)
    second.acquire("news.example")  # the other process waits out the block...
    assert clock.monotonic() >= before + 1.0
    times = [clock.monotonic()] + take_turns([first, second], clock, 5)
    # ...and both go on at half the rate.
    assert gaps(times) == pytest.approx([2 * interval] * 10)


def test_a_late_wakeup_gives_the_booked_time_up():
    """A booked time missed by more than `late_limit` would crowd the next one: book again."""
    clock = FakeClock()
    schedule = FakeDaskSchedule(clock)
    limiter = SharedRateLimiter(schedule, 20.0, batch=3, monotonic=clock.monotonic, sleep=clock.sleep)
    limiter.acquire("news.example")  # books 3 times, spends the first
    clock.advance(0.5)  # the next two booked times pass while the caller is away
    limiter.acquire("news.example")
    assert limiter.given_up_count == 2 and limiter.booking_count == 2


def test_per_process_limiters_multiply_the_limit():
    """Why the shared limiter exists: each process's own limiter lets the host see N x the limit."""
    clock = FakeClock()
    own = [limiter_on(clock, 20.0, safety=0.0), limiter_on(clock, 20.0, safety=0.0)]
    times = []
    for _ in range(20):
        for limiter in own:
            limiter.acquire("news.example")
            times.append(clock.monotonic())
    served = (len(times) - 1) / (times[-1] - times[0])
    assert served == pytest.approx(2 * 20.0, rel=0.05)
