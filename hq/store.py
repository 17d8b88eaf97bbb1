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


def open_pool(url: str, size: int = 8) -> ConnectionPool:
    """Migrated, then pooled: rows come back as dicts."""
    migrate(url)
    pool = ConnectionPool(url, min_size=1, max_size=size, kwargs={"row_factory": dict_row}, open=False)
    pool.open(wait=True, timeout=30)
    return pool
