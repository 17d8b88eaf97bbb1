"""`navbat simulate --channels`: walk-ins, remote turns and appointments on the same days (issue 18).

    navbat simulate --channels [--seeds 1-20 [--workers 2]] [--remote 0.1 --booked 0.1] [--json]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

COLUMNS = (
    ("walk_ins", "walk-ins"), ("walk_in_mean_wait_min", "walk-in wait"), ("walk_in_wait_ratio", "× walk-ins only"),
    ("remote", "remote"), ("remote_wait_after_check_in_min", "remote wait"), ("appointments", "booked"),
    ("appointments_on_time_pct", "on time %"), ("appointment_mean_late_min", "late (min)"),
)


def mixes(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    from navbat.queueing.channels import MIXES

    out = dict(MIXES)
    if args.remote or args.booked:
        out[f"{100 * args.remote:g} % remote + {100 * args.booked:g} % booked"] = (args.remote, args.booked)
    return out


def run(branch: Any, args: argparse.Namespace, seeds: list[int]) -> str | dict[str, Any]:
    from navbat.queueing.channels import channel_seeds

    result = channel_seeds(branch, seeds, workers=max(1, args.workers), days=args.days,
                           utilisation=args.utilisation, mixes=mixes(args), backups=args.backups)
    return json.dumps(result, indent=2, ensure_ascii=False) if args.json else table(result)


def _cell(m: dict[str, Any], key: str) -> str:
    if m.get(key) is None:
        return "-"
    ci = m.get("ci95", {}).get(key)
    return f"{m[key]:g}" if ci is None else f"{m[key]:.2f}±{ci:.2f}"


def table(result: dict[str, Any]) -> str:
    r, seeds = result["run"], result["seeds"]
    lines = [
        f"Branch {r['branch']}: {r['days']} day(s) × seeds {seeds[0]}-{seeds[-1]} (mean ± 95 % CI), "
        f"{r['counters']} counters, utilisation target {r['utilisation_target']}, {r['slot_min']}-minute slots.",
        "The same visitors each time; a share joins from home (remote) or books a slot (booked: those who find "
        "no slot with room walk in).",
        "Waits in minutes: walk-ins from arrival to call; remote from check-in; 'late' from the slot (or a late "
        "check-in) to the call, negative = early; 'on time %' = called within 5 min of it.",
        "",
    ]
    head = f"{'visitors':28}" + "".join(f"{label:>16}" for _, label in COLUMNS)
    lines += [head, "-" * len(head)]
    for name, m in result["mixes"].items():
        lines.append(f"{name:28}" + "".join(f"{_cell(m, k):>16}" for k, _ in COLUMNS))
    lines += ["", "Targets (issue 18):"] + [f"  [{'ok' if ok else 'MISSED'}] {text}" for text, ok in targets(result)]
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    booked20 = result["mixes"].get("20 % booked")
    if booked20:
        ratio = booked20["walk_in_wait_ratio"]
        out.append((f"walk-ins' mean wait at 20 % booked is {ratio:.2f}× walk-ins only (aim ≤ 1.10×)", ratio <= 1.10))
    for name, m in result["mixes"].items():
        if m.get("appointments_on_time_pct") is not None:
            pct = m["appointments_on_time_pct"]
            out.append((f"{name}: {pct:.1f} % of appointments called within 5 min (aim ≥ 90 %)", pct >= 90))
    return out
