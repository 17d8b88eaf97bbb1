"""The one settings object of a hub: what it runs by, from three sources in one order.

1. the branch file (`foundation.config.load_config`): the branch, its units, counters, hours, the
   remote turns' and budgets' defaults, the SMS gateway;
2. the environment, for secrets only (never the command line, which `ps` shows to every user):
   NAVBAT_HQ_TOKEN, NAVBAT_SMS_USERNAME and NAVBAT_SMS_PASSWORD (a root-only EnvironmentFile
   under systemd, which `navbat service install hub` writes);
3. the head's overrides of the remote turns and budgets, set on /head and kept by the hub
   (server/visitors/remote_settings.py): read, per transaction, by `remote(db)` and `budgets(db)`.

The command line's flags (`navbat hub --port ... --ignore-hours --hq URL --sms-log PATH`) map onto
its fields; the app factory builds one from its config for tests (`from_app_config`). A running
hub's is `hub.settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from navbat.foundation.config import Branch, load_config
from navbat.foundation.remote import Budgets, Remote
from navbat.server.visitors import remote_settings

SECRETS = ("NAVBAT_HQ_TOKEN", "NAVBAT_SMS_USERNAME", "NAVBAT_SMS_PASSWORD")  # the environment's only part


class SettingsError(ValueError):
    """Settings that do not go together (an HQ address without its token); the message says which."""


@dataclass(frozen=True)
class HqLink:
    """Headquarters this branch ships its events to and takes relayed visitors from."""

    url: str
    token: str = field(repr=False)  # a secret: never in a log line or a traceback's locals


@dataclass(frozen=True)
class Settings:
    """What a hub runs by; `remote(db)` and `budgets(db)` add the head's overrides to the branch file's."""

    branch: Branch
    db_path: Path = Path("var/navbat.sqlite")
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 32
    ignore_hours: bool = False  # issue tickets outside opening hours (demos, tests)
    sms_log: Path | None = None  # SMS as JSON lines here instead of the gateway's
    hq: HqLink | None = None

    @classmethod
    def build(cls, branch: Branch, environ: Mapping[str, str] | None = None, *, hq_url: str | None = None,
              hq_token: str | None = None, sms_log: str | Path | None = None, db_path: str | Path | None = None,
              **flags: Any) -> Settings:
        """The branch file, the environment's secrets on top, and the flags' values (`hq_token`
        only from an old command line: the environment's NAVBAT_HQ_TOKEN is the place for it)."""
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if k in SECRETS and v}
        token = hq_token or env.get("NAVBAT_HQ_TOKEN")
        if bool(hq_url) != bool(token):
            raise SettingsError("--hq and the HQ token (NAVBAT_HQ_TOKEN, or --hq-token) go together")
        return cls(branch=_with_sms_login(branch, env), hq=HqLink(hq_url, token) if hq_url and token else None,
                   sms_log=Path(sms_log) if sms_log else None,
                   db_path=Path(db_path) if db_path is not None else cls.db_path, **flags)

    @classmethod
    def from_app_config(cls, config: Mapping[str, Any]) -> Settings:
        """The app factory's config (create_app): SETTINGS itself, or BRANCH (or CONFIG_PATH), DB_PATH,
        IGNORE_HOURS, SMS_LOG, HQ_URL and HQ_TOKEN, as the tests give them (no environment: a test's
        hub is what its config says)."""
        if config.get("SETTINGS") is not None:
            return config["SETTINGS"]
        branch = config.get("BRANCH") or load_config(config.get("CONFIG_PATH"))
        return cls.build(branch, {}, hq_url=config.get("HQ_URL"), hq_token=config.get("HQ_TOKEN"),
                         sms_log=config.get("SMS_LOG"), db_path=config.get("DB_PATH"),
                         ignore_hours=bool(config.get("IGNORE_HOURS")))

    def remote(self, db: sqlite_utils.Database) -> Remote:
        """The remote turns' settings in force: the branch file's, the head's changes on top."""
        return remote_settings.current(db, self.branch)

    def budgets(self, db: sqlite_utils.Database) -> Budgets:
        """The SMS and booking budgets in force: the branch file's, the head's changes on top."""
        return remote_settings.budgets(db, self.branch)


def _with_sms_login(branch: Branch, env: Mapping[str, str]) -> Branch:
    """The SMS gateway's username and password from the environment, over the branch file's."""
    gateway = branch.sms.gateway if branch.sms else None
    login = {k: env[f"NAVBAT_SMS_{k.upper()}"] for k in ("username", "password") if env.get(f"NAVBAT_SMS_{k.upper()}")}
    if gateway is None or not login:
        return branch
    sms = branch.sms.model_copy(update={"gateway": gateway.model_copy(update=login)})
    return branch.model_copy(update={"sms": sms})
