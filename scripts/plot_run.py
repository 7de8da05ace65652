#!/usr/bin/python3
"""Plots of one gossipsim run, from its output directory (report.json, timeseries.csv,
receipts.csv). Reads only those files. Writes PNG and SVG into DIR/plots/:

  convergence   fraction of expected peers holding a block vs time since its injection:
                median and 10-90% band over blocks, with the first receipts by push and by
                pull shown apart (push is the early steep rise, pull the later steps)
  latency_cdf   CDF of first-receipt latency over every expected (block, peer)
  membership    membership accuracy and live leaders over time, timeline events marked
  messages      messages per second by type over time (stacked), and bytes by type in total

Usage: scripts/plot_run.py RESULTS_DIR
Uses Debian's python3-matplotlib (hence /usr/bin/python3).
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, outdir, name):
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(outdir, f"{name}.{ext}"), dpi=130, bbox_inches="tight")
    plt.close(fig)


def quantile(sorted_vals, q):
    if not sorted_vals:
        return 0.0
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


def convergence(receipts, report, outdir):
    """Per block: the fraction of its expected peers that hold it at each time since injection."""
    blocks = {}
    for r in receipts:
        if r["expected"] != "1":
            continue
        b = blocks.setdefault((r["channel"], int(r["seq"])), {"n": 0, "lat": [], "via": []})
        b["n"] += 1
        if r["latency_s"]:
            b["lat"].append(float(r["latency_s"]))
            b["via"].append(r["via"])
    blocks = {k: v for k, v in blocks.items() if v["n"] > 0}
    if not blocks:
        return
    horizon = max(max(v["lat"], default=0) for v in blocks.values()) * 1.05 or 1.0
    # Log-spaced from 0.1 ms: push completes in milliseconds, pull in seconds.
    grid = [0.0] + [1e-4 * (horizon / 1e-4) ** (i / 400) for i in range(401)]
    med, lo, hi, push_only = [], [], [], []
    for t in grid:
        fr = sorted(sum(1 for x in v["lat"] if x <= t) / v["n"] for v in blocks.values())
        med.append(quantile(fr, 0.5))
        lo.append(quantile(fr, 0.1))
        hi.append(quantile(fr, 0.9))
        pf = sorted(
            sum(1 for x, via in zip(v["lat"], v["via"]) if x <= t and via in ("push", "orderer")) / v["n"]
            for v in blocks.values())
        push_only.append(quantile(pf, 0.5))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.fill_between(grid, lo, hi, alpha=0.25, label="10-90% of blocks")
    ax.plot(grid, med, lw=2, label="median block (all paths)")
    ax.plot(grid, push_only, lw=1.2, ls="--", label="median block, orderer + push only")
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time since block injection (s, log scale above 1 ms)")
    ax.set_ylabel("fraction of expected peers holding the block")
    ax.set_title(f"Block dissemination — {report['scenario']} (seed {report['seed']}, {len(blocks)} blocks)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save(fig, outdir, "convergence")


def latency_cdf(receipts, report, outdir):
    lat = sorted(float(r["latency_s"]) for r in receipts if r["expected"] == "1" and r["latency_s"])
    if not lat:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], lw=2)
    ax.set_xscale("log")
    ax.set_xlabel("first-receipt latency (s, log scale)")
    ax.set_ylabel("fraction of (block, peer) deliveries")
    ax.set_title(f"Latency CDF — {report['scenario']}")
    ax.grid(alpha=0.3, which="both")
    save(fig, outdir, "latency_cdf")


def membership(series, report, outdir):
    t = [float(r["time_s"]) for r in series]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(t, [float(r["membership_accuracy"]) for r in series], lw=2, label="membership accuracy")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("virtual time (s)")
    ax.set_ylabel("fraction of live peers with an exact view")
    ax2 = ax.twinx()
    ax2.step(t, [int(r["leaders"]) for r in series], where="post", color="tab:red", lw=1.2, label="live leaders")
    ax2.set_ylabel("live leaders (all channels and orgs)")
    ax2.set_ylim(bottom=0)
    for e in report.get("events", []):
        ax.axvline(e["at_s"], color="grey", ls=":", lw=1)
        ax.text(e["at_s"], 1.03, e["kind"], rotation=90, fontsize=7, va="bottom", ha="center")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower right")
    ax.set_title(f"Membership and leadership — {report['scenario']}")
    ax.grid(alpha=0.3)
    save(fig, outdir, "membership")


def messages(series, report, outdir):
    kinds = [c[: -len("_sent")] for c in series[0].keys() if c.endswith("_sent")]
    totals = {k: sum(int(r[k + "_bytes"]) for r in series) for k in kinds}
    kinds = [k for k in kinds if totals[k] > 0]
    kinds.sort(key=lambda k: -totals[k])
    t = [float(r["time_s"]) for r in series]
    dt = [t[0]] + [b - a for a, b in zip(t, t[1:])]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    colors = plt.cm.tab20.colors  # 20 distinct colours: one per message type
    ax.stackplot(t, [[int(r[k + "_sent"]) / d if d > 0 else 0 for r, d in zip(series, dt)] for k in kinds],
                 labels=kinds, colors=[colors[i % len(colors)] for i in range(len(kinds))])
    ax.set_xlabel("virtual time (s)")
    ax.set_ylabel("messages per second (all peers)")
    ax.set_title("Messages by type over time")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.grid(alpha=0.3)
    ax2.barh(kinds[::-1], [totals[k] / 1e6 for k in kinds[::-1]],
             color=[colors[i % len(colors)] for i in range(len(kinds))][::-1])
    ax2.set_xlabel("MB sent in the whole run")
    ax2.set_title(f"Bytes by type ({report['messages']['bytes'] / 1e6:.0f} MB in total)")
    ax2.tick_params(axis="y", labelsize=8)
    ax2.grid(alpha=0.3, axis="x")
    fig.suptitle(f"Message overhead — {report['scenario']}")
    save(fig, outdir, "messages")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rundir = argv[1]
    try:
        with open(os.path.join(rundir, "report.json")) as f:
            report = json.load(f)
        series = read_csv(os.path.join(rundir, "timeseries.csv"))
        receipts = read_csv(os.path.join(rundir, "receipts.csv"))
    except OSError as e:
        print(f"plot_run: {e} (is {rundir} the --out directory of a gossipsim run?)", file=sys.stderr)
        return 2
    outdir = os.path.join(rundir, "plots")
    os.makedirs(outdir, exist_ok=True)
    convergence(receipts, report, outdir)
    latency_cdf(receipts, report, outdir)
    if series:
        membership(series, report, outdir)
        messages(series, report, outdir)
    print(f"plot_run: plots in {outdir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
