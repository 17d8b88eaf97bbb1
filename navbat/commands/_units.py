"""The systemd units `navbat service` writes: text only, no side effects.

The hub (and HQ, and the nightly backup) run as the system user `navbat` (declared for
systemd-sysusers, so it exists before the unit starts) with their data in StateDirectory
/var/lib/navbat and systemd's sandbox around them. A real user rather than DynamicUser=:
the IT person runs `sudo -u navbat navbat user add ...` on the same files the hub writes.

Kiosks and displays run the Kivy app fullscreen inside cage, a Wayland compositor that shows one
application and nothing else, on tty1 at boot, restarted if it dies. cage has no idle timer, SDL
keeps the screen saver off while the app runs, and the console's own blanking is turned off first.
"""

from __future__ import annotations

import shlex

USER = "navbat"
STATE = "/var/lib/navbat"
DB = f"{STATE}/navbat.sqlite"
BACKUPS = f"{STATE}/backups"
SCREEN_USER = "navbat-screen"
SCREEN_STATE = f"/var/lib/{SCREEN_USER}"
# systemd-sysusers: the hub's user, and the kiosk/display session's (its seat: video, input, render).
SYSUSERS = (f'u {USER} - "Navbat hub" {STATE}\n'
            f'u {SCREEN_USER} - "Navbat kiosk and display screens" {SCREEN_STATE}\n'
            f"m {SCREEN_USER} video\nm {SCREEN_USER} input\nm {SCREEN_USER} render\nm {SCREEN_USER} audio\n"
            # the kiosk's own printer: serial ports belong to dialout, USB printers to lp (udev rule)
            f"m {SCREEN_USER} dialout\nm {SCREEN_USER} lp\n")
ROLES = ("hub", "kiosk", "display", "hq", "backup")
ENV_DIR = "/etc/navbat"
# Secrets never go on a command line (ps shows it to every user): an option given to
# `navbat service` moves into the role's root-only environment file under this variable.
SECRETS = {"hub": {"--hq-token": "NAVBAT_HQ_TOKEN"}, "kiosk": {"--token": "NAVBAT_KIOSK_TOKEN"},
           "display": {"--token": "NAVBAT_DISPLAY_TOKEN"}}

SANDBOX = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
CapabilityBoundingSet={caps}
AmbientCapabilities={caps}
UMask=0027
"""


def _option(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def env_file(role: str) -> str:
    return f"{ENV_DIR}/{role}.env"


def split_secrets(role: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    """The role's options without its secrets, and the secrets as environment variables."""
    names, kept, secrets = SECRETS.get(role, {}), [], {}
    i = 0
    while i < len(args):
        a = args[i]
        flag = a.split("=", 1)[0]
        if flag in names:
            if "=" in a:
                secrets[names[flag]] = a.split("=", 1)[1]
            elif i + 1 < len(args):
                secrets[names[flag]] = args[i + 1]
                i += 1
            i += 1
            continue
        kept.append(a)
        i += 1
    return kept, secrets


def unit_name(role: str) -> str:
    return f"navbat-{role}.service"


def _server(role: str, navbat: str, args: list[str], description: str) -> str:
    if role == "hub" and _option(args, "--db") is None:  # HQ's own options (its PostgreSQL) pass as given
        args = [*args, "--db", DB]
    port = _option(args, "--port")
    caps = "CAP_NET_BIND_SERVICE" if port is not None and port.isdigit() and int(port) < 1024 else ""
    after = " postgresql.service" if role == "hq" else ""  # HQ's database, when it is on this machine
    # Root-only files: HQ's database URL may hold a password (NAVBAT_HQ_DATABASE=postgresql://...);
    # the hub's HQ token and SMS gateway login (NAVBAT_HQ_TOKEN, NAVBAT_SMS_USERNAME, NAVBAT_SMS_PASSWORD).
    env = f"EnvironmentFile=-{env_file(role)}\n"
    return f"""\
[Unit]
Description={description}
After=network-online.target{after}
Wants=network-online.target

[Service]
Type=simple
User={USER}
Group={USER}
StateDirectory=navbat
StateDirectoryMode=0750
WorkingDirectory={STATE}
Environment=PYTHONUNBUFFERED=1
{env}ExecStart={shlex.join([navbat, role, *args])}
Restart=on-failure
RestartSec=2
TimeoutStopSec=15
LimitNOFILE=16384
{SANDBOX.format(caps=caps)}
[Install]
WantedBy=multi-user.target
"""


def _screen(role: str, navbat: str, args: list[str], cage: str, seat_user: str, tty: int) -> str:
    command = [navbat, role, "--fullscreen", *[a for a in args if a != "--fullscreen"]]
    what = "kiosk" if role == "kiosk" else "display"
    return f"""\
[Unit]
Description=Navbat {what}, fullscreen in cage on tty{tty}
After=systemd-user-sessions.service network-online.target getty@tty{tty}.service
Wants=network-online.target
Conflicts=getty@tty{tty}.service

[Service]
Type=simple
User={seat_user}
PAMName=login
TTYPath=/dev/tty{tty}
TTYReset=yes
TTYVHangup=yes
TTYVTDisallocate=yes
StandardInput=tty-fail
StandardOutput=journal
StandardError=journal
UtmpIdentifier=tty{tty}
UtmpMode=user
StateDirectory={SCREEN_USER}
WorkingDirectory={SCREEN_STATE}
# Kivy's log on the console: stderr, so the journal has it (journalctl -u navbat-kiosk)
Environment=XDG_SESSION_TYPE=wayland KIVY_NO_ARGS=1 KIVY_HOME={SCREEN_STATE}/kivy
# Tokens stay out of the command line (ps shows it to every user): NAVBAT_KIOSK_TOKEN=..., NAVBAT_DISPLAY_TOKEN=...
EnvironmentFile=-{env_file(role)}
# The console never blanks behind the app (cage itself has no idle timer); as root ("+"), on that tty.
ExecStartPre=+/bin/sh -c 'setterm --term linux --blank 0 --powerdown 0 --powersave off >/dev/tty{tty} </dev/tty{tty}'
ExecStart={shlex.join([cage, "-d", "--", *command])}
Restart=always
RestartSec=2

[Install]
WantedBy=graphical.target
"""


def _led(navbat: str, args: list[str], seat_user: str) -> str:
    """An LED board (`display --led NAME`) has no window: a plain service on the serial port's
    group, never cage on a tty (that took the console from the getty or a kiosk on the same PC)."""
    name = _option(args, "--led")
    return f"""\
[Unit]
Description=Navbat LED number board {name}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={seat_user}
SupplementaryGroups=dialout
StateDirectory={SCREEN_USER}
WorkingDirectory={SCREEN_STATE}
Environment=PYTHONUNBUFFERED=1
# The board's token stays out of the command line: NAVBAT_DISPLAY_TOKEN=...
EnvironmentFile=-/etc/navbat/display.env
ExecStart={shlex.join([navbat, "display", *[a for a in args if a != "--fullscreen"]])}
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""


def _backup_service(navbat: str, args: list[str]) -> str:
    db = _option(args, "--db") or DB
    to = _option(args, "--to") or BACKUPS
    keep = _option(args, "--keep") or "14"
    return f"""\
[Unit]
Description=Navbat nightly backup of {db}

[Service]
Type=oneshot
User={USER}
Group={USER}
StateDirectory=navbat
ReadWritePaths=-{to}
ExecStart={shlex.join([navbat, "backup", "--db", db, "--to", to, "--keep", keep])}
{SANDBOX.format(caps="")}"""


BACKUP_TIMER = """\
[Unit]
Description=Navbat nightly backup

[Timer]
OnCalendar=*-*-* 02:30:00
RandomizedDelaySec=15min
Persistent=true

[Install]
WantedBy=timers.target
"""


def units(role: str, navbat: str, args: list[str], cage: str = "/usr/bin/cage", seat_user: str = SCREEN_USER,
          tty: int = 1) -> dict[str, str]:
    """File name -> text of the units for this role; the role's secrets are left out (split_secrets)."""
    args = split_secrets(role, args)[0]
    if role == "hub":
        return {unit_name(role): _server("hub", navbat, args, "Navbat hub: tickets, calls and live events")}
    if role == "hq":
        return {unit_name(role): _server("hq", navbat, args, "Navbat headquarters")}
    if role == "display" and _option(args, "--led") is not None:
        return {f"navbat-led-{_option(args, '--led')}.service": _led(navbat, args, seat_user)}
    if role in ("kiosk", "display"):
        return {unit_name(role): _screen(role, navbat, args, cage, seat_user, tty)}
    if role == "backup":
        return {unit_name(role): _backup_service(navbat, args), "navbat-backup.timer": BACKUP_TIMER}
    raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
