"""Navbat (نوبت): queue and service-desk system. The console script is navbat.cli."""

from navbat.foundation.version import VERSION as __version__

__all__ = ["__version__"]
