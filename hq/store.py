"""HQ's PostgreSQL: a pool of psycopg 3 connections, and the schema kept by yoyo migrations."""

from __future__ import annotations

from importlib.resources import files

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


def migrations_dir() -> str:
    return str(files("navbat.hq") / "migrations")


def migrate(url: str) -> int:
    """Applies the migrations not yet applied (yoyo keeps the list in the database); returns how many."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(url.replace("postgresql://", "postgresql+psycopg://", 1))
    migrations = read_migrations(migrations_dir())
    with backend.lock():
        todo = backend.to_apply(migrations)
        backend.apply_migrations(todo)
    backend.connection.close()
    return len(todo)


POOL_WAIT_S = 5.0


def open_pool(url: str, size: int = 8) -> ConnectionPool:
    """Migrated, then pooled: rows come back as dicts."""
    migrate(url)
    # timeout: a request waits this long for a connection, then is refused (503), so PostgreSQL down
    # costs a caller a bounded wait and never holds Flask's threads for psycopg's default 30 s.
    pool = ConnectionPool(url, min_size=1, max_size=size, kwargs={"row_factory": dict_row}, open=False,
                          timeout=POOL_WAIT_S)
    pool.open(wait=True, timeout=30)
    return pool
