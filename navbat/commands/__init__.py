"""Subcommands of `navbat`; each module has register(subparsers)."""
