"""Navbat (نوبت): queue and service-desk system. The console script is navbat.cli."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # read from the installed distribution only when asked: importlib.metadata costs every
    # `navbat` command ~70 ms of start-up it mostly never uses
    if name == "__version__":
        from navbat.foundation.version import VERSION

        return VERSION
    raise AttributeError(f"module 'navbat' has no attribute {name!r}")
