"""One settings object (issue 25): the branch file, the environment for secrets only, the command
line's flags mapped onto it, and the head's overrides read through it."""

from __future__ import annotations

import pytest
from conftest import PINS
from navbat.foundation.config import Branch
from navbat.foundation.remote import SmsGateway
from navbat.server.hub import EXTENSION
from navbat.server.settings import Settings, SettingsError


def test_the_environment_gives_secrets_only(branch: Branch) -> None:
    env = {"NAVBAT_HQ_TOKEN": "T0KEN", "NAVBAT_PORT": "9999", "NAVBAT_IGNORE_HOURS": "1", "NAVBAT_SMS_PASSWORD": "pw"}
    gateway = SmsGateway(url="https://sms.example/send?to={to}", username="branch-7", password="in-the-file")
    filed = branch.model_copy(update={"sms": branch.sms.model_copy(update={"gateway": gateway})})
    s = Settings.build(filed, env, hq_url="https://hq.example", port=8081)
    assert (s.port, s.ignore_hours) == (8081, False)  # a flag's value, never the environment's
    assert (s.hq.url, s.hq.token) == ("https://hq.example", "T0KEN") and "T0KEN" not in repr(s)
    assert (s.branch.sms.gateway.username, s.branch.sms.gateway.password) == ("branch-7", "pw")
    assert filed.sms.gateway.password == "in-the-file"  # the branch file's object is left as it was
    with pytest.raises(SettingsError, match="go together"):
        Settings.build(branch, {}, hq_url="https://hq.example")
    with pytest.raises(SettingsError, match="go together"):
        Settings.build(branch, {"NAVBAT_HQ_TOKEN": "T0KEN"})


def test_the_head_s_changes_are_read_through_it(app, client) -> None:  # noqa: ANN001
    hub = app.extensions[EXTENSION]
    with hub.read() as db:
        assert hub.settings.remote(db).grace_minutes == hub.branch.remote.grace_minutes
    token = client.post("/api/v1/login", json={"username": "head", "pin": PINS["head"]}).json["token"]
    grace = hub.branch.remote.grace_minutes + 7
    r = client.put("/api/v1/remote/settings", json={"grace_minutes": grace, "sms_per_hour": 11},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.json
    with hub.read() as db:
        assert hub.settings.remote(db).grace_minutes == grace and hub.settings.budgets(db).sms_per_hour == 11
    assert hub.settings.branch.remote.grace_minutes == grace - 7  # the file's value stays beneath

# The command line's half HQ link, refused in one line before anything starts: tests/test_cli_honest.py.
