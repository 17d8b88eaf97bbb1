"""Options several subcommands share."""

from __future__ import annotations

import argparse

DEFAULT_DB = "var/navbat.sqlite"


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="branch file (default config/branches.yaml)")
