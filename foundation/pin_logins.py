"""The rules every PIN login follows, at a branch hub and at HQ alike.

**Digits.** A PIN typed on a Persian (۱۲۳۴) or Arabic (١٢٣٤) keyboard is the same PIN as 1234:
`normal_pin` is applied wherever a PIN comes in (the API, the pages through it, the command line).

**Guessing costs the guesser.** Wrong PINs are counted under three keys, each with a few free
failures, then a wait that doubles with every further failure (`wait_after`), up to CAP:

- (username, address): FREE_PAIR free. A guesser slows down only themselves: the clerk at
  another address logs in as ever.
- the address, whatever usernames it names: FREE_ADDRESS free (one machine trying every user).
- the username from every address together, for logins from unknown devices: FREE_USER free
  (many machines trying one user: the bounded total).

A *known device* (a browser or client where the user logged in before: it holds a device token
given at that login, an HMAC of the username under the user's PIN hash, so it can be neither
forged nor used for another user nor after a PIN change) is counted under (username, device)
only: no address's or crowd's lock-out reaches it, so nobody can lock a clerk out of their own
counter. The head (at HQ, a national manager) can lift any lock at once.

Failures are forgotten MEMORY after they happened, and a right PIN clears its (username, address
or device) key. Every attempt is counted before its PIN is checked (as a failure until it proves
right), so parallel guesses gain nothing.

**What that allows** (`guesses_per_day`, a guesser trying the moment each wait ends, for a day):
GUESSES_PER_PAIR_PER_DAY = 17 PINs for one user from one address, GUESSES_PER_ADDRESS_PER_DAY = 32
from one address over all users, and GUESSES_PER_USER_PER_DAY = 42 for one user from every address
together (unknown devices); each later day a few fewer (13, 28 and 38: failures a day old are
forgotten as new ones come). A 4-digit PIN (10,000) then takes on average about four months from
any number of addresses, and the head sees the lock-outs on the live floor the whole time.
Before, it was about 250 a day per user, and five wrong PINs locked the real clerk out.

**Hashing costs a bounded share of the machine.** scrypt takes ~50 ms of a core and 32 MB per
check: `PinChecks` runs checks on its own small pool, and a check that finds the pool full is
refused at once (`Busy`, HTTP 429 with Retry-After) rather than holding a request thread in a
queue. An unknown username is checked against a dummy hash, so it takes as long as a known one.
scrypt runs without the GIL, so a check costs the server's threads nothing, but it takes a core:
under a flood of guesses, one of a branch PC's two, for as long as the flood lasts. So the
strangers' checks run at the lowest CPU priority (STRANGERS_NICE, on Linux a thread's own): they
get the cores the kiosks, clerks and displays leave idle, and the flood costs the branch's work
next to nothing; and at most STRANGERS_SHARE of one core, resting after each check in proportion
to its CPU time (scrypt's memory sweeps the caches every process runs from, whatever its
priority). A known device's check keeps the normal priority (a clerk at their own PC is not
slowed by the guessers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from navbat.foundation.persian import latin_digits

FREE_PAIR = 5
FREE_ADDRESS = 20
FREE_USER = 30
BASE = dt.timedelta(minutes=1)  # the wait after the last free failure; doubles with each one after
CAP = dt.timedelta(hours=4)
MEMORY = dt.timedelta(hours=24)
DEVICE_LIFE = dt.timedelta(days=180)
DEVICE_PREFIX = "device:"  # the "address" a known device's failures are counted under


def normal_pin(pin: str) -> str:
    """'۱۲۳۴', '١٢٣٤' and ' 1234 ' are all '1234'."""
    return latin_digits(pin.strip())


def wait_after(failures: int, free: int) -> dt.timedelta:
    """How long after the last of `failures` (remembered) wrong PINs the next try must wait."""
    if failures < free:
        return dt.timedelta(0)
    return min(BASE * 2 ** min(failures - free, 30), CAP)


def locked_until(times: Sequence[dt.datetime], free: int) -> dt.datetime | None:
    """When the next try under a key may be made, given its remembered failures (any order); None: now."""
    if len(times) < free:
        return None
    return max(times) + wait_after(len(times), free)


def guesses_per_day(free: int) -> int:
    """Wrong PINs one key lets through in a day to a guesser who tries the moment each wait ends."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    now, times = start, []
    while now < start + dt.timedelta(days=1):
        times = [t for t in times if t > now - MEMORY] + [now]
        now = locked_until(times, free) or now
    return len(times)


GUESSES_PER_PAIR_PER_DAY = guesses_per_day(FREE_PAIR)  # 17
GUESSES_PER_ADDRESS_PER_DAY = guesses_per_day(FREE_ADDRESS)  # 32
GUESSES_PER_USER_PER_DAY = guesses_per_day(FREE_USER)  # 42


# ---- known devices -----------------------------------------------------------------------

def device_cookie(username: str) -> str:
    """The cookie a user's device token travels in (one per user: a shared PC knows each of them)."""
    return "navbat_device_" + hashlib.sha256(username.encode()).hexdigest()[:16]


def device_token(username: str, pin_hash: str, now: dt.datetime) -> str:
    issued = str(int(now.timestamp()))
    return f"{issued}.{_mac(username, pin_hash, issued)}"


def device_key(token: str | None, username: str, pin_hash: str | None, now: dt.datetime) -> str | None:
    """The key ("device:<id>") failures of this known device count under; None if the token is not
    a live one of this user's (then the address counts)."""
    if not token or not pin_hash or token.count(".") != 1:
        return None
    issued, mac = token.split(".")
    if not issued.isdigit() or len(issued) > 12 or not hmac.compare_digest(mac, _mac(username, pin_hash, issued)):
        return None
    if now - dt.datetime.fromtimestamp(int(issued), dt.UTC) > DEVICE_LIFE:
        return None
    return DEVICE_PREFIX + mac[:16]


def _mac(username: str, pin_hash: str, issued: str) -> str:
    return hmac.new(pin_hash.encode(), f"navbat-device\0{username}\0{issued}".encode(), hashlib.sha256).hexdigest()


# ---- hashing off the request threads -----------------------------------------------------

STRANGERS_NICE = 19  # the lowest priority: the checks take only the CPU nobody else wants
# ... and at most this share of one core: after each check the strangers' pool rests for the check's
# CPU time x (1 / share - 1), so under a flood its slots stay taken longer and more guesses are
# refused at once (Busy) rather than run.
# scrypt's 32 MB also sweep the caches the kiosks' requests run from: niceness alone does not bound that.
STRANGERS_SHARE = 0.2


def lower_priority(nice: int = STRANGERS_NICE) -> int | None:
    """Lowers the calling thread's CPU priority (Linux: niceness is per thread); returns the niceness
    it runs at, or None where that cannot be set (the check then runs at the process's priority)."""
    try:
        tid = threading.get_native_id()
        if os.sched_getscheduler(tid) in (os.SCHED_FIFO, os.SCHED_RR):  # a real-time server: niceness means nothing
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError):
        return None


class Busy(Exception):
    """Every PIN-check slot is taken: answer 429 with Retry-After at once."""

    retry_after = 1


class PinChecks:
    """At most `workers` PIN checks run at once, on their own threads, and at most `waiting` more
    wait for one; past that a login is refused at once (`slot` raises Busy before anything is written
    for it). The strangers' checks run at the lowest CPU priority (the module's docstring). A known
    device has a slot of its own, at the normal priority, so a flood of strangers' guesses never
    keeps a clerk at their own PC waiting."""

    def __init__(self, workers: int = 1, waiting: int = 2, share: float = STRANGERS_SHARE) -> None:
        self.share = share
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pin-check", initializer=lower_priority)
        self._known_pool = ThreadPoolExecutor(1, thread_name_prefix="pin-check-known")
        self._strangers = threading.BoundedSemaphore(workers + waiting)
        self._known = threading.BoundedSemaphore(1)

    def full(self) -> bool:
        """Whether a stranger's check would be refused now (a hint: `slot` decides)."""
        return self._strangers._value == 0  # noqa: SLF001 - BoundedSemaphore has no public peek

    def strangers_niceness(self) -> int | None:
        """The CPU niceness the strangers' checks run at (None: not settable here)."""
        def niceness() -> int | None:
            try:
                return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            except (AttributeError, OSError):
                return None
        return self._pool.submit(niceness).result()

    @contextlib.contextmanager
    def slot(self, known: bool = False) -> Iterator[Callable[[Callable[[str, str], bool], str, str], bool]]:
        """A place for one check, taken before anything else is done for the login (so a refused one
        costs nothing, not even a write); yields the function that runs the check on the pool."""
        if known and self._known.acquire(blocking=False):
            slots, pool, rests = self._known, self._known_pool, False
        elif self._strangers.acquire(blocking=False):
            slots, pool, rests = self._strangers, self._pool, self.share < 1
        else:
            raise Busy
        used = [0.0]  # the check's CPU seconds

        def run(check: Callable[[str, str], bool], pin_hash: str, pin: str) -> bool:
            def timed() -> bool:
                start = time.thread_time()
                try:
                    return check(pin_hash, pin)
                finally:
                    used[0] = time.thread_time() - start
            return pool.submit(timed).result()
        try:
            yield run
        finally:
            slots.release()
            if rests and used[0] > 0:  # the answer is given; the pool rests a while after it (the next check waits)
                pool.submit(time.sleep, used[0] * (1 / self.share - 1))
