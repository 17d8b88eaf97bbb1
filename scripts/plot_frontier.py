"""Draw the rule's trade-off from scripts/sweep_rule.py's output: docs/rule-frontier.png.

    .venv/bin/pip install matplotlib   # or: pip install ".[plots]"
    .venv/bin/python scripts/plot_frontier.py [--sweep var/sweep.jsonl] [--out docs/rule-frontier.png]

Each setting's figures are means over the same seeds; the aims are drawn where the issue put
them (mean wait ≤ 1.10× pooled first-come, priority ≤ 40 % of regular, longest wait no worse
than oldest-first's, estimate error ≤ 30 % of the mean wait). Prints the settings no other
beats on all four at once (the frontier), best mean wait first.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

CURRENT = {"scale": 1.0, "head_start": 0.2, "target_growth": 1.0, "backup_weight": 0.5}


def load(path: str) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        runs[json.dumps(row["knobs"], sort_keys=True) if row["knobs"] else row["policy"]].append(row)
    seeds = set.intersection(*({r["seed"] for r in rows} for rows in runs.values()))

    def mean(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.fmean(r[key] for r in rows if r["seed"] in seeds)

    refs = {name: {k: mean(runs[name], k) for k in ("mean_wait_min", "max_wait_min")}
            for name in ("oldest_first", "pooled_fcfs")}
    old = runs["oldest_first"]
    refs["oldest_first"]["error_pct"] = 100 * mean(old, "estimate_mae_min") / mean(old, "mean_wait_min")
    refs["oldest_first"]["mean_ratio"] = mean(old, "mean_wait_min") / refs["pooled_fcfs"]["mean_wait_min"]
    points = []
    for rows in runs.values():
        if not rows[0]["knobs"] or not seeds <= {r["seed"] for r in rows}:
            continue
        m = {k: mean(rows, k) for k in ("mean_wait_min", "max_wait_min", "priority_mean_wait_min",
                                        "regular_mean_wait_min", "estimate_mae_min", "range_coverage_waited_pct")}
        points.append({"knobs": rows[0]["knobs"], "seeds": len(seeds), "days": rows[0]["days"],
                       "mean_ratio": m["mean_wait_min"] / refs["pooled_fcfs"]["mean_wait_min"],
                       "priority_pct": 100 * m["priority_mean_wait_min"] / m["regular_mean_wait_min"],
                       "longest_min": m["max_wait_min"],
                       "error_pct": 100 * m["estimate_mae_min"] / m["mean_wait_min"], **m})
    return refs, points


def frontier(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("mean_ratio", "priority_pct", "longest_min", "error_pct")

    def beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return all(a[k] <= b[k] for k in keys) and any(a[k] < b[k] for k in keys)

    return sorted((p for p in points if not any(beats(q, p) for q in points)), key=lambda p: p["mean_ratio"])


def label(knobs: dict[str, float]) -> str:
    return (f"weights×{knobs['scale']:g} head {knobs['head_start']:g} growth {knobs['target_growth']:g} "
            f"backup {knobs['backup_weight']:g}")


def plot(refs: dict[str, dict[str, float]], points: list[dict[str, Any]], chosen: dict[str, float] | None,
         out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    front = frontier(points)
    oldest = refs["oldest_first"]["max_wait_min"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6.2))
    for ax, (x, y, xl, yl, xa, ya) in zip((left, right), (
            ("mean_ratio", "error_pct", "mean wait ÷ pooled first-come's", "estimate error, % of the mean wait",
             1.10, 30),
            ("priority_pct", "longest_min", "priority visitors' mean wait, % of regular's", "longest wait, min",
             40, oldest)), strict=True):
        ok = [p for p in points if p["longest_min"] <= oldest]
        bad = [p for p in points if p["longest_min"] > oldest]
        sc = ax.scatter([p[x] for p in ok], [p[y] for p in ok], c=[p["priority_pct"] for p in ok], cmap="viridis",
                        vmin=20, vmax=90, s=36, edgecolors="none", label="longest wait ≤ oldest-first's")
        ax.scatter([p[x] for p in bad], [p[y] for p in bad], c=[p["priority_pct"] for p in bad], cmap="viridis",
                   vmin=20, vmax=90, s=36, marker="x", label="longest wait > oldest-first's")
        ax.scatter([p[x] for p in front], [p[y] for p in front], s=110, facecolors="none", edgecolors="black",
                   linewidths=0.8, label="frontier (no setting better on all four)")
        for p in points:
            if p["knobs"] == CURRENT:
                ax.annotate("old default", (p[x], p[y]), xytext=(8, -12), textcoords="offset points", fontsize=9)
            if chosen and p["knobs"] == chosen:
                ax.scatter([p[x]], [p[y]], marker="*", s=260, color="crimson", zorder=5, label="chosen default")
        if ax is left:
            ax.scatter([refs["oldest_first"]["mean_ratio"]], [refs["oldest_first"]["error_pct"]], marker="s",
                       color="grey", s=50, label="oldest-first (no priority)")
        ax.axvline(xa, color="grey", ls="--", lw=0.8)
        ax.axhline(ya, color="grey", ls="--", lw=0.8)
        ax.set_xlabel(xl + f" (aim ≤ {xa:g})")
        ax.set_ylabel(yl + (f" (aim ≤ {ya:g})" if ax is left else f" (oldest-first {ya:.1f})"))
    fig.colorbar(sc, ax=right, label="priority % of regular (aim ≤ 40)")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    seeds, days = (points[0]["seeds"], points[0]["days"]) if points else (0, 0)
    fig.suptitle(f"The call rule's knobs on the demo branch's busy days: {len(points)} settings, each the mean of "
                 f"{seeds} seeds × {days} days (the same visitors for every setting)", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default="var/sweep.jsonl")
    parser.add_argument("--out", default="docs/rule-frontier.png")
    parser.add_argument("--chosen", help='the chosen setting as JSON, e.g. {"scale": 1.0, ...}')
    args = parser.parse_args()
    refs, points = load(args.sweep)
    old = refs["oldest_first"]
    print(f"oldest-first: mean {old['mean_wait_min']:.2f} ({old['mean_ratio']:.3f}× pooled), longest "
          f"{old['max_wait_min']:.1f}, estimate error {old['error_pct']:.1f} %; "
          f"pooled first-come: mean {refs['pooled_fcfs']['mean_wait_min']:.2f}")
    print(f"{'setting':52}{'mean/pooled':>12}{'prio %':>8}{'longest':>9}{'error %':>9}{'in range':>9}  aims met")
    for p in frontier(points):
        met = [p["mean_ratio"] <= 1.10, p["priority_pct"] <= 40, p["longest_min"] <= old["max_wait_min"],
               p["error_pct"] <= 30]
        print(f"{label(p['knobs']):52}{p['mean_ratio']:>12.3f}{p['priority_pct']:>8.1f}{p['longest_min']:>9.1f}"
              f"{p['error_pct']:>9.1f}{p['range_coverage_waited_pct']:>9.1f}  {sum(met)}/4")
    plot(refs, points, json.loads(args.chosen) if args.chosen else None, args.out)


if __name__ == "__main__":
    main()
