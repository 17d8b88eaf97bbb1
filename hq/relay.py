"""HQ's side of the relay (issues 18, 23): visitors' requests for a branch wait for the branch's long-poll.

Everything waits on the event loop of a worker process (hq/relay_asgi.py), never on a thread, and
everything between workers goes through PostgreSQL, so `navbat hq --workers N` relays: a visitor's
request is a row of relay_requests and a NOTIFY; the worker holding the branch's poll takes it; the
branch's answer (on any worker) fills the row and NOTIFYs the visitor's worker. A worker re-reads
every RECHECK_S too, so a notification lost while its listening connection was down costs a little
time, never a visitor.

A branch is online while its relay_links row's `until` is ahead: a poll sets it to the poll's end
plus ONLINE_GRACE_S (the moment between one poll's answer and the next). One hub polls for a branch
at a time: a poll from another (another poller id) is refused (Conflict, 409) and named on /hq,
never raced. A request for a branch that is not online is refused at once; one past MAX_WAITING
waiting for the branch is refused at once too (Busy); one the branch does not answer within
ANSWER_S is given up and deleted, and the branch does not run a request that reaches it past its
deadline. Every database step has DB_S to finish (Unavailable past it), so PostgreSQL down costs a
visitor a bounded wait and a clear page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from navbat.hq.accounts import digest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger(__name__)
CHANNEL = "navbat_relay"
ONLINE_GRACE_S = 3.0  # between one poll's answer and the next (a WAN round trip or two)
ANSWER_S = 10.0  # a visitor waits at most this for the branch's answer
MAX_WAITING = 32  # visitors waiting for one branch's answer at once (all workers)
BATCH = 16
DB_S = 3.0  # one database step; the listener's connection too
RECHECK_S = 2.0  # a waiter re-reads even if no notification came
TOKEN_CACHE_S = 10.0  # a rotated token is dropped at once by a notification; this bounds a lost one
BRANCH_CACHE_S = 30.0
CACHE_MAX = 4096
SWEEP_S = 30.0


class Offline(Exception):
    """The branch keeps no link now."""


class Busy(Exception):
    """MAX_WAITING visitors wait for this branch already."""


class Unavailable(Exception):
    """HQ's database did not answer in time."""


class Conflict(Exception):
    """Another hub polls for this branch now."""


class Revoked(Exception):
    """The branch's token was rotated while its poll was held."""


@dataclass(eq=False)  # one per poll, kept in sets by identity
class _Poll:
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: bool = False


class RelayHub:
    """One per worker process, on its event loop: its database pool, its listening connection, and
    the polls and visitors waiting in this process."""

    def __init__(self, url: str, answer_s: float = ANSWER_S, grace_s: float = ONLINE_GRACE_S,
                 max_waiting: int = MAX_WAITING) -> None:
        self.url, self.answer_s, self.grace_s, self.max_waiting = url, answer_s, grace_s, max_waiting
        self._pool: AsyncConnectionPool | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started = asyncio.Lock()
        self._polls: dict[str, set[_Poll]] = {}
        self._answers: dict[int, asyncio.Event] = {}
        self._waiting: Counter[str] = Counter()  # visitors of this process waiting, per branch
        self._tokens: dict[str, tuple[str | None, float]] = {}
        self._branches: dict[str, tuple[dict[str, Any] | None, float]] = {}

    async def start(self) -> None:
        async with self._started:
            if self._pool is not None:
                return
            self._pool = AsyncConnectionPool(self.url, min_size=1, max_size=8, open=False, timeout=DB_S,
                                             kwargs={"autocommit": True, "row_factory": dict_row,
                                                     "connect_timeout": int(DB_S)})
            await self._pool.open(wait=False)
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._sweep())]

    async def close(self, within: float = 2.0) -> None:
        """At the process's shutdown (hq/asgi.py's lifespan): the listener and sweeper end, the pool closes."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pool is not None:
            await self._pool.close(timeout=within)

    async def _db(self, step: Any) -> Any:
        """Runs `step(conn)` with a pooled connection within DB_S, or raises Unavailable."""
        if self._pool is None:
            await self.start()

        async def run() -> Any:
            async with self._pool.connection(timeout=DB_S) as conn:
                return await step(conn)
        try:
            return await asyncio.wait_for(run(), DB_S)
        except (psycopg.Error, PoolTimeout, TimeoutError, OSError) as exc:
            raise Unavailable(str(exc)) from None

    # -- what a token and a branch are -------------------------------------------------------------

    async def branch_of(self, token: str) -> str | None:
        """The branch whose token this is (cached for TOKEN_CACHE_S; dropped on rotation)."""
        key, now = digest(token), time.monotonic()
        hit = self._tokens.get(key)
        if hit and hit[1] > now:
            return hit[0]

        async def look(conn: psycopg.AsyncConnection) -> str | None:
            row = await (await conn.execute("SELECT id FROM branches WHERE token_hash=%s", [key])).fetchone()
            return row["id"] if row else None
        branch = await self._db(look)
        _put(self._tokens, key, (branch, now + TOKEN_CACHE_S))
        return branch

    async def branch(self, branch: str) -> dict[str, Any] | None:
        """The branch's row (its profile holds its name), or None if HQ does not know it (cached)."""
        now = time.monotonic()
        hit = self._branches.get(branch)
        if hit and hit[1] > now:
            return hit[0]

        async def look(conn: psycopg.AsyncConnection) -> dict[str, Any] | None:
            return await (await conn.execute("SELECT id, profile FROM branches WHERE id=%s", [branch])).fetchone()
        row = await self._db(look)
        _put(self._branches, branch, (row, now + BRANCH_CACHE_S))
        return row

    # -- the visitor's side ----------------------------------------------------------------------

    async def forward(self, branch: str, req: dict[str, Any]) -> dict[str, Any] | None:
        """Hands a visitor's request to the branch and waits for its answer; None if it did not come
        within answer_s. Raises Busy, Offline or Unavailable at once."""
        if self._waiting[branch] >= self.max_waiting:
            raise Busy(branch)
        self._waiting[branch] += 1
        try:
            return await self._forward(branch, req)
        finally:
            self._waiting[branch] -= 1
            if not self._waiting[branch]:
                del self._waiting[branch]

    async def _forward(self, branch: str, req: dict[str, Any]) -> dict[str, Any] | None:
        async def enqueue(conn: psycopg.AsyncConnection) -> int | str:
            # one statement: the branch online and under its bound, the row, the notification. Within a
            # worker the bound is exact (counted above); workers racing may pass it by one each.
            row = await (await conn.execute(
                """WITH state AS (
                     SELECT coalesce((SELECT until > now() FROM relay_links WHERE branch=%(b)s), false) AS online,
                            (SELECT count(*) FROM relay_requests
                              WHERE branch=%(b)s AND answer IS NULL AND deadline > now()) AS waiting),
                   queued AS (
                     INSERT INTO relay_requests (branch, req, deadline)
                     SELECT %(b)s, %(req)s, now() + make_interval(secs => %(s)s) FROM state
                      WHERE online AND waiting < %(max)s RETURNING id)
                   SELECT state.online, (SELECT id FROM queued) AS id,
                          (SELECT count(pg_notify(%(ch)s, %(note)s)) FROM queued) AS told FROM state""",
                {"b": branch, "req": Jsonb(req), "s": self.answer_s, "max": self.max_waiting, "ch": CHANNEL,
                 "note": json.dumps({"q": branch})})).fetchone()
            return row["id"] if row["id"] is not None else ("busy" if row["online"] else "offline")

        end = time.monotonic() + self.answer_s
        rid = await self._db(enqueue)
        if rid == "offline":
            raise Offline(branch)
        if rid == "busy":
            raise Busy(branch)
        woken = self._answers[rid] = asyncio.Event()

        async def collect(conn: psycopg.AsyncConnection, final: bool) -> str | None:
            sql = ("DELETE FROM relay_requests WHERE id=%s RETURNING answer" if final else
                   "DELETE FROM relay_requests WHERE id=%s AND answer IS NOT NULL RETURNING answer")
            row = await (await conn.execute(sql, [rid])).fetchone()
            return row["answer"] if row else None

        try:
            while True:
                left = end - time.monotonic()
                if left > 0:
                    try:
                        await asyncio.wait_for(woken.wait(), min(left, RECHECK_S))
                    except TimeoutError:
                        pass
                woken.clear()
                final = time.monotonic() >= end
                got = await self._db(lambda conn, final=final: collect(conn, final))
                if got is not None or final:
                    return _answer(got)
        finally:
            self._answers.pop(rid, None)

    # -- the branch's side -----------------------------------------------------------------------

    async def poll(self, branch: str, poller: str, address: str, wait_s: float,
                   gone: asyncio.Future[Any]) -> list[dict[str, Any]] | None:
        """The branch's long-poll: the requests waiting for it (up to BATCH), or [] after wait_s; None
        if the branch hung up first (`gone` done). Raises Conflict, Revoked or Unavailable."""
        async def hold(conn: psycopg.AsyncConnection) -> bool:
            row = await (await conn.execute(
                """INSERT INTO relay_links (branch, poller, address, until)
                   VALUES (%(b)s, %(p)s, %(a)s, now() + make_interval(secs => %(s)s))
                   ON CONFLICT (branch) DO UPDATE SET poller=excluded.poller, address=excluded.address,
                     until=excluded.until
                   WHERE relay_links.poller = excluded.poller OR relay_links.until <= now()
                   RETURNING branch""",
                {"b": branch, "p": poller, "a": address, "s": wait_s + self.grace_s})).fetchone()
            if row is None:  # another hub holds the link: refused, and remembered for /hq
                await conn.execute("UPDATE relay_links SET refused_at=now(), refused_from=%s WHERE branch=%s",
                                   [address, branch])
            return row is not None

        async def take(conn: psycopg.AsyncConnection) -> list[dict[str, Any]]:
            rows = await (await conn.execute(
                """UPDATE relay_requests SET taken_by=%s WHERE id IN (
                     SELECT id FROM relay_requests WHERE branch=%s AND taken_by IS NULL AND deadline > now()
                     ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
                   RETURNING id, req, extract(epoch FROM deadline - now())::float8 AS expires_in""",
                [poller, branch, BATCH])).fetchall()
            return [{**r["req"], "id": str(r["id"]), "expires_in": round(r["expires_in"], 3)}
                    for r in sorted(rows, key=lambda r: r["id"])]

        async def release(conn: psycopg.AsyncConnection) -> None:
            await conn.execute("""UPDATE relay_links SET until = now() + make_interval(secs => %s)
                                  WHERE branch=%s AND poller=%s""", [self.grace_s, branch, poller])

        if not await self._db(hold):
            raise Conflict(branch)
        me = _Poll()
        self._polls.setdefault(branch, set()).add(me)
        end = time.monotonic() + wait_s
        try:
            while True:
                me.woken.clear()
                if me.revoked:
                    raise Revoked(branch)
                out = await self._db(take)
                left = end - time.monotonic()
                if out or left <= 0:
                    return out
                waiter = asyncio.ensure_future(me.woken.wait())
                await asyncio.wait({waiter, gone}, timeout=min(left, RECHECK_S),
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if gone.done():
                    return None
        finally:
            polls = self._polls.get(branch, set())
            polls.discard(me)
            if not polls:
                self._polls.pop(branch, None)
            try:
                await self._db(release)
            except Unavailable:
                pass  # the link lapses by itself at `until`

    async def answer(self, branch: str, poller: str, rid: int, answer: str) -> bool:
        """The branch's answer to request `rid` (its JSON text, kept as it came: parsed once, by the
        visitor's worker); False if HQ no longer waits for it, or it is not this branch's or was not
        taken by this poller."""
        async def store(conn: psycopg.AsyncConnection) -> bool:
            row = await (await conn.execute(
                """WITH stored AS (
                     UPDATE relay_requests SET answer=%s
                      WHERE id=%s AND branch=%s AND taken_by=%s AND answer IS NULL AND deadline > now()
                      RETURNING id)
                   SELECT count(pg_notify(%s, %s)) AS told FROM stored""",
                [answer, rid, branch, poller, CHANNEL, json.dumps({"a": rid})])).fetchone()
            return row["told"] == 1
        return await self._db(store)

    # -- notifications ----------------------------------------------------------------------------

    def _dispatch(self, payload: str) -> None:
        try:
            note = json.loads(payload)
        except ValueError:
            return
        if "q" in note:
            for p in self._polls.get(str(note["q"]), ()):
                p.woken.set()
        elif "a" in note:
            woken = self._answers.get(note["a"])
            if woken is not None:
                woken.set()
        elif "t" in note:  # the branch's token was rotated: forget it, end its polls
            branch = str(note["t"])
            self._tokens = {k: v for k, v in self._tokens.items() if v[0] != branch}
            for p in self._polls.get(branch, ()):
                p.revoked = True
                p.woken.set()

    def _wake_all(self) -> None:
        for polls in self._polls.values():
            for p in polls:
                p.woken.set()
        for woken in self._answers.values():
            woken.set()

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=int(DB_S)), DB_S)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    backoff = 0.5
                    self._wake_all()  # whatever came while no one listened
                    async for note in conn.notifies():
                        self._dispatch(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database went away: listen again when it is back
                log.warning("relay: listening to PostgreSQL failed (%s); again in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _sweep(self) -> None:
        """Rows a worker that died left behind."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                await self._db(lambda conn: conn.execute(
                    "DELETE FROM relay_requests WHERE deadline < now() - interval '1 minute'"))
            except Unavailable:
                pass


def _answer(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        got = json.loads(text)
    except ValueError:
        return {"status": 0}  # refused by the filter: HQ's own page
    return got if isinstance(got, dict) else {"status": 0}


def _put(cache: dict[str, Any], key: str, value: Any) -> None:
    if len(cache) >= CACHE_MAX:  # made-up tokens and branch names cannot grow it without end
        cache.clear()
    cache[key] = value


def links(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Each branch's relay link, for /hq: online now, and the last time another hub was refused."""
    rows = conn.execute("SELECT branch, until > now() AS online, refused_at, refused_from FROM relay_links").fetchall()
    return {r["branch"]: r for r in rows}


def token_rotated(conn: psycopg.Connection, branch: str) -> None:
    """After a branch's token changed: every worker forgets the old one and ends its polls, and the
    link is free for the hub with the new token at once."""
    conn.execute("DELETE FROM relay_links WHERE branch=%s", [branch])
    conn.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps({"t": branch})])


def shown(link: dict[str, Any] | None) -> dict[str, Any]:
    """A branch's relay link as /api/v1/hq/branches gives it: online, and a second hub that was
    refused its poll within the last day (a stolen token, or a second hub left running), by address."""
    if not link:
        return {"relay_online": False, "relay_refused": None}
    at = link["refused_at"]
    recent = at is not None and at > dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    return {"relay_online": bool(link["online"]),
            "relay_refused": {"at": at.isoformat(), "address": link["refused_from"]} if recent else None}
