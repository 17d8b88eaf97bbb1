"""This installation's version: the installed distribution's, as pip sees it when it upgrades.

setup.cfg holds the one number (scripts/release.sh bumps it and tags the commit); every part that
shows or ships the version (`navbat --version`, /api/v1/health, the batches to HQ, the refusal of a
database from a newer release) reads it here."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("navbat")
except PackageNotFoundError:  # the tree imported without being installed: never how Navbat runs
    VERSION = "0+unknown"
