#!/usr/bin/python3
"""Plots of one gossipsim run, from its output directory (report.json, timeseries.csv,
blocks.csv, receipts.csv). Reads only those files. Writes PNG and SVG into DIR/plots/:

  convergence   fraction of expected peers holding a block vs time since its injection
                (log time): median and 10-90% band over blocks, the median counting only
                orderer + push receipts (the gap to the full median is what pull and state
                transfer add), and below it when first receipts arrived, by path
  latency_cdf   CDF of first-receipt latency over every expected (block, peer), and of the
                time for each block to reach all its expected peers; p50/p90/p99 marked
  membership    membership accuracy (top) and live leaders (bottom) over time, timeline
                events marked and labelled, disturbance windows shaded, recovery times
  messages      messages/s and bytes/s by type over time (stacked, moving average over the
                protocol's period) with the total, and the run's totals per type

Usage: scripts/plot_run.py RUN_DIR [--out PLOTS_DIR]      (see also scripts/plot.py)
Uses Debian's python3-matplotlib (hence /usr/bin/python3). docs/plots.md explains each plot.
"""
import argparse
import json
import math
import os
import sys
from bisect import bisect_right

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_common import (nearest_rank, parse_duration, plain_log_axis, plt, read_csv, save,  # noqa: E402
                         si_scale)

import numpy as np  # noqa: E402  (python3-numpy comes with python3-matplotlib)

PATHS = ("orderer", "push", "pull", "state_transfer")
PATH_COLORS = {"orderer": "tab:gray", "push": "tab:blue", "pull": "tab:orange", "state_transfer": "tab:green"}
PATH_LABELS = {"orderer": "orderer", "push": "push (DataMessage)", "pull": "pull (DataUpdate)",
               "state_transfer": "state transfer"}


def sample_interval(t):
    """The sampling period of timeseries.csv (scenario key sample_interval): the median step."""
    return (sorted(b - a for a, b in zip([0.0] + t, t))[len(t) // 2] if t else 0.0) or 1.0

def run_title(report):
    return f"{report['scenario']} (seed {report['seed']}, {report.get('profile', '')})"


# ---------------------------------------------------------------------------------------------
# (1) convergence


def block_latencies(receipts):
    """Per block, over its expected peers: {(channel, seq): {"n": expected peers,
    "all": sorted first-receipt latencies, "push": sorted latencies of receipts by orderer or push}}.
    A peer that never received the block counts in n but has no latency."""
    blocks = {}
    for r in receipts:
        if r["expected"] != "1":
            continue
        b = blocks.setdefault((r["channel"], int(r["seq"])), {"n": 0, "all": [], "push": []})
        b["n"] += 1
        if r["latency_s"] != "":
            lat = float(r["latency_s"])
            b["all"].append(lat)
            if r["via"] in ("orderer", "push"):
                b["push"].append(lat)
    for b in blocks.values():
        b["all"].sort()
        b["push"].sort()
    return blocks


def convergence_curves(blocks, grid, quantiles=(0.1, 0.5, 0.9)):
    """For each time t of GRID: the nearest-rank quantiles over blocks of the fraction of the
    block's expected peers holding it at t after injection (all paths), and the median of the
    same fraction counting orderer + push receipts only.
    Returns {"q<q>": [..] per quantile, "push_median": [..]}; blocks with no expected peer are ignored."""
    bl = [b for b in blocks.values() if b["n"] > 0]
    out = {}
    if not bl:
        return out
    g = np.asarray(grid, dtype=float)
    frac_all = np.array([np.searchsorted(b["all"], g, side="right") / b["n"] for b in bl])
    frac_push = np.array([np.searchsorted(b["push"], g, side="right") / b["n"] for b in bl])
    frac_all.sort(axis=0)
    frac_push.sort(axis=0)
    n = len(bl)

    def row(q):
        return min(n, max(1, math.ceil(q * n - 1e-9))) - 1

    for q in quantiles:
        out[f"q{q:g}"] = frac_all[row(q)].tolist()
    out["push_median"] = frac_push[row(0.5)].tolist()
    return out


def log_time_range(values):
    """(left, right) of a log time axis covering the positive VALUES (seconds)."""
    pos = [v for v in values if v > 0]
    if not pos:
        return 1e-3, 1.0
    left = min(pos) / 2
    right = max(pos) * 1.5
    return left, max(right, left * 10)


def convergence(receipts, report, outdir):
    blocks = block_latencies(receipts)
    blocks = {k: v for k, v in blocks.items() if v["n"] > 0}
    if not blocks:
        return None
    lats = [x for b in blocks.values() for x in b["all"]]
    left, right = log_time_range(lats)
    grid = np.geomspace(left, right, 800)
    cur = convergence_curves(blocks, grid)

    fig, (ax, axh) = plt.subplots(2, 1, figsize=(11.5, 6.4), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1.3], "hspace": 0.08})
    ax.fill_between(grid, cur["q0.1"], cur["q0.9"], step="post", color="tab:blue", alpha=0.22,
                    lw=0, label="10–90 % of blocks (all paths)")
    ax.step(grid, cur["q0.5"], where="post", color="tab:blue", lw=2.2, label="median block, all paths")
    ax.step(grid, cur["push_median"], where="post", color="black", lw=1.3, ls="--",
            label="median block, orderer + push receipts only")
    ax.fill_between(grid, cur["push_median"], cur["q0.5"], step="post", color="tab:orange", alpha=0.5, lw=0,
                    label="gap: added by pull / state transfer")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction of expected peers\nholding the block")
    b = report["blocks"]
    tta = b.get("time_to_all_s") or {}
    sub = (f"{len(blocks)} blocks, {report['peers']['count']} peers; coverage {b['coverage']:.1%}"
           + (f"; time to all peers p50 {fmt_s(tta['p50'])}, p99 {fmt_s(tta['p99'])}" if tta else ""))
    ax.set_title(f"Block dissemination — {run_title(report)}\n{sub}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.text(0.005, 0.02, "left edge includes latency 0 (leaders fed by the orderer)", transform=ax.transAxes,
            fontsize=8, color="dimgray", va="bottom")

    # When first receipts arrived, by path: push fills the first tens of ms, pull and state
    # transfer come in later steps (pull rounds, anti-entropy).
    edges = np.geomspace(left, right, 61)
    paths = {p: [] for p in PATHS}
    for rr in receipts:
        if rr["expected"] == "1" and rr["latency_s"] != "" and rr["via"] in paths:
            paths[rr["via"]].append(max(float(rr["latency_s"]), left))  # latency 0 -> first bin
    for p in PATHS:
        if paths[p]:
            axh.hist(paths[p], bins=edges, histtype="stepfilled", alpha=0.35, color=PATH_COLORS[p],
                     edgecolor=PATH_COLORS[p], lw=1.2, label=f"{PATH_LABELS[p]} ({len(paths[p])})")
    axh.set_yscale("log")
    plain_log_axis(axh.yaxis, decades_only=True)
    axh.set_ylabel("first receipts\nper bin (log)")
    axh.set_xlabel("time since block injection (s, log scale)")
    plain_log_axis(axh.xaxis)
    axh.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
               title="first receipts of expected\npeers, by path (total)", title_fontsize=8.5)
    return save(fig, outdir, "convergence")


# ---------------------------------------------------------------------------------------------
# (2) latency CDF


def ecdf_points(values, total):
    """Sorted VALUES and the fraction of TOTAL at or below each (a step CDF that ends at len/total)."""
    v = sorted(values)
    return v, [(i + 1) / total for i in range(len(v))]


def latency_cdf(receipts, blocks_rows, report, outdir):
    expected = [r for r in receipts if r["expected"] == "1"]
    lat = [float(r["latency_s"]) for r in expected if r["latency_s"] != ""]
    if not lat:
        return None
    tta = [float(r["time_to_all_s"]) for r in blocks_rows
           if r.get("time_to_all_s") not in (None, "") and int(r["expected_peers"]) > 0]
    n_blocks = sum(1 for r in blocks_rows if int(r["expected_peers"]) > 0)
    left, right = log_time_range(lat + tta)

    fig, ax = plt.subplots(figsize=(8.5, 5))
    curves = [("first receipt, per expected (block, peer)", lat, len(expected), "tab:blue", (0.5, 0.9, 0.99))]
    if tta and n_blocks:
        curves.append(("last expected peer, per block (time to all)", tta, n_blocks, "tab:red", (0.5, 0.99)))
    for label, vals, total, color, qs in curves:
        xs, ys = ecdf_points(vals, total)
        xs = [left] + [max(x, left) for x in xs] + [right]
        ys = [0.0] + ys + [ys[-1]]
        marks = []
        svals = sorted(vals)
        for q in qs:
            # Percentiles over the delivered values (as report.json's), marked where the curve is.
            v = nearest_rank(svals, q)
            marks.append(f"p{round(q * 100)} {fmt_s(v)}")
            ax.plot([max(v, left)], [bisect_right(svals, v) / total], "o", color=color, ms=5, mfc="white",
                    mew=1.5, zorder=5)
        if ys[-1] < 1:
            marks.append(f"ends at {ys[-1]:.1%}")
        ax.step(xs, ys, where="post", color=color, lw=2, label=f"{label}\n  " + ", ".join(marks))
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    ax.set_ylim(0, 1.04)
    plain_log_axis(ax.xaxis)
    ax.set_xlabel("time since block injection (s, log scale; latency 0 drawn at the left edge)")
    ax.set_ylabel("cumulative fraction")
    ax.set_title(f"Latency CDF — {run_title(report)}\n"
                 "fractions of all expected deliveries / all blocks: what never arrived keeps a curve below 1")
    ax.legend(loc="lower right", fontsize=8.5, framealpha=0.95)
    return save(fig, outdir, "latency_cdf")


def fmt_s(v):
    return f"{v * 1e3:.3g} ms" if v < 1 else f"{v:.3g} s"


# ---------------------------------------------------------------------------------------------
# (3) membership and leaders


def disturbance_windows(report, end):
    """[(start, stop, label)] from the resolved timeline: partition -> next heal, churn from -> to,
    crash -> the restart of one of the crashed peers (or the end)."""
    evs = sorted((report.get("config") or {}).get("events") or [], key=lambda e: e["at_s"])
    out = []
    for i, e in enumerate(evs):
        k = e.get("kind")
        if k == "partition":
            stop = next((f["at_s"] for f in evs[i + 1:] if f.get("kind") == "heal"), end)
            out.append((e["at_s"], stop, "partition in force"))
        elif k == "churn":
            out.append((e["at_s"], e.get("to_s", end) or end, "churn window"))
        elif k == "crash":
            crashed = set(e.get("peers") or [])
            stop = next((f["at_s"] for f in evs[i + 1:]
                         if f.get("kind") == "restart" and crashed & set(f.get("peers") or [])), end)
            out.append((e["at_s"], stop, "crashed peers down"))
    return out


def mark_events(ax, events, span, extra_axes=(), fontsize=8.5):
    """A dashed line per timeline event on AX (and EXTRA_AXES), labelled 'kind @ t s' above AX;
    labels closer than 9 % of SPAN are stacked in rows. Returns the number of label rows."""
    last_x, row, rows = -1e18, 0, 0
    for e in events:
        x0 = e["at_s"]
        for x in (ax,) + tuple(extra_axes):
            x.axvline(x0, color="black", ls="--", lw=1)
        row = row + 1 if x0 - last_x < 0.09 * span else 0
        rows = max(rows, row + 1)
        last_x = x0
        ax.annotate(f"{e['kind']} @ {x0:g} s", (x0, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 3 + 11 * row), textcoords="offset points", ha="center", va="bottom",
                    fontsize=fontsize, fontweight="bold")
    return rows


def expected_leaders(report):
    return sum(len(orgs) for orgs in (report.get("leadership") or {}).values())


def membership(series, report, outdir):
    t = [float(r["time_s"]) for r in series]
    end = max(t[-1], report["sim"]["duration_s"])
    fig, (ax, axl) = plt.subplots(2, 1, figsize=(10, 6.2), sharex=True,
                                  gridspec_kw={"height_ratios": [2.2, 1], "hspace": 0.08})
    span_colors = {"partition in force": "tab:red", "churn window": "tab:purple", "crashed peers down": "tab:brown"}
    seen = set()
    for a, b, label in disturbance_windows(report, end):
        for x in (ax, axl):
            x.axvspan(a, b, color=span_colors[label], alpha=0.12, lw=0,
                      label=label if (x is ax and label not in seen) else None)
        seen.add(label)

    ax.plot(t, [float(r["membership_accuracy"]) for r in series], color="tab:blue", lw=1.8,
            marker="." if len(t) <= 60 else None,
            label=f"membership accuracy ({sample_interval(t):g} s samples)")
    ax.set_ylim(-0.03, 1.22)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("fraction of live peers\nwith an exact view")
    if series and "live_peers" in series[0]:  # older outputs lack the column
        live = [int(r["live_peers"]) for r in series]
        axp = ax.twinx()
        axp.step(t, live, where="post", color="dimgray", lw=1.0, alpha=0.7, label="live peers (right axis)")
        axp.set_ylim(0, max(live + [1]) * 1.22)
        axp.set_ylabel("live peers", color="dimgray")
        axp.tick_params(axis="y", colors="dimgray")
        axp.legend(loc="upper left", bbox_to_anchor=(1.08, 0.55), fontsize=8.5)

    # Events: a line across both panels, a label above the top panel (staggered when close),
    # and in the head-room above 1.0 an arrow to when membership was exact again.
    events = report.get("events") or []
    rows = mark_events(ax, events, end, extra_axes=(axl,))
    # Arrows that overlap in time (a partition's arrow spans its heal's) go on separate lanes
    # of the head-room, so that their labels do not print on top of each other (with more
    # than three overlapping, the last lane is shared).
    lanes = [1.12, 1.05, 1.19]
    lane_free_at = [float("-inf")] * len(lanes)
    label_room = 0.08 * end  # the "+N s" label after an arrow's head
    for e in events:
        # A window (churn) is recovered from when it ends, not when it opens.
        x0 = e["ends_at_s"] if e.get("ends_at_s") is not None else e["at_s"]
        rec = e.get("membership_converged_at_s")
        if rec is not None and rec <= x0:
            continue
        x1 = end if rec is None else rec
        lane = next((i for i, free in enumerate(lane_free_at) if free <= x0), len(lanes) - 1)
        lane_free_at[lane] = x1 + label_room
        y = lanes[lane]
        if rec is None:
            ax.annotate("membership never exact again", (x0, y), fontsize=8, color="tab:blue",
                        xytext=(4, 0), textcoords="offset points", va="center")
        else:
            ax.annotate("", xy=(rec, y), xytext=(x0, y),
                        arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 1.3})
            ax.annotate(f"+{rec - x0:g} s", (rec, y), xytext=(3, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=8, color="tab:blue")
    conv = (report.get("membership") or {}).get("converged_at_s")
    sub = f"membership first exact at {conv:g} s" if conv is not None else "membership never exact"
    sub += "; arrows: event → membership exact again" if events else "; no timeline events"
    ax.set_title(f"Membership and leadership — {run_title(report)}\n{sub}", pad=6 + 11 * rows)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5)

    leaders = [int(r["leaders"]) for r in series]
    exp = expected_leaders(report)
    if exp:
        axl.axhline(exp, color="black", lw=1.0, ls=":", zorder=1, label=f"one per (channel, org) = {exp}")
    axl.step(t, leaders, where="post", color="tab:red", lw=1.8, alpha=0.85, zorder=2, label="live leaders")
    top = max(leaders + [exp]) + 1
    axl.set_ylim(-0.3, top + 0.3)
    axl.yaxis.get_major_locator().set_params(integer=True)
    axl.set_ylabel("live leaders\n(all channels, orgs)")
    axl.set_xlabel("virtual time since start of run (s)")
    axl.set_xlim(0, end)
    axl.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5)
    return save(fig, outdir, "membership")


# ---------------------------------------------------------------------------------------------
# (4) message overhead


def smoothing_window(report, dt_typical, n_samples):
    """Samples per moving-average window: the least common multiple of the periodic activities
    (block interval, pull, StateInfo, alive intervals), so periodic bursts average out exactly;
    at most an eighth of the run."""
    cfg = report.get("config") or {}
    g = cfg.get("gossip") or {}
    periods = [parse_duration((cfg.get("workload") or {}).get("block_interval"))]
    for k in ("pullInterval", "publishStateInfoInterval", "requestStateInfoInterval", "aliveTimeInterval"):
        periods.append(parse_duration(g.get(k)))
    ms = [round(p * 1000) for p in periods if p]
    w = 1
    for p in ms:
        w = w * p // math.gcd(w, p)
    w_samples = max(1, round(w / 1000 / dt_typical)) if ms else 10
    if w_samples > n_samples / 8:
        w_samples = max(1, n_samples // 30)
    return w_samples


def windowed_rates(t, counts, w):
    """Moving average of a rate: for each sample interval, COUNTS summed over W consecutive
    sample intervals centred on it (shifted inwards at the ends of the run) divided by the time
    they span, placed at the middle of the interval. T are the sample instants (the first
    interval starts at 0). Returns (x, rates)."""
    n = len(t)
    cum = [0.0]
    for c in counts:
        cum.append(cum[-1] + c)
    tt = [0.0] + list(t)
    x, rates = [], []
    for i in range(1, n + 1):  # interval i = (tt[i-1], tt[i]]
        lo = max(0, i - 1 - w // 2)
        hi = min(n, lo + w)
        lo = max(0, min(lo, hi - w))
        span = tt[hi] - tt[lo]
        x.append((tt[i - 1] + tt[i]) / 2)
        rates.append((cum[hi] - cum[lo]) / span if span > 0 else 0.0)
    return x, rates


# A fixed colour per message type, so that runs compare at a glance.
TYPE_COLORS = {
    "DataMessage": "tab:blue", "AliveMessage": "tab:red", "StateInfo": "tab:green",
    "StateInfoSnapshot": "yellowgreen", "StateInfoPullRequest": "darkseagreen",
    "MembershipRequest": "plum", "MembershipResponse": "tab:purple",
    "DataUpdate.BLOCK": "tab:orange", "DataDigest.BLOCK": "gold", "GossipHello.BLOCK": "khaki",
    "DataRequest.BLOCK": "navajowhite", "DataUpdate.IDENTITY": "tab:brown", "DataDigest.IDENTITY": "sienna",
    "GossipHello.IDENTITY": "rosybrown", "DataRequest.IDENTITY": "peru",
    "RemoteStateResponse": "tab:cyan", "RemoteStateRequest": "paleturquoise",
    "LeadershipMessage": "tab:pink", "ConnEstablish": "dimgray", "Empty": "darkgray", "PeerIdentity": "tan",
}
OTHER_COLOR = "lightgray"


def type_color(kind, j):
    return TYPE_COLORS.get(kind, plt.cm.tab20.colors[(2 * j + 1) % 20])


def totals_panel(axb, kinds, tot, color, unit):
    """Horizontal bars: the run's total per type (every type with traffic, largest on top),
    each with its value and share. Returns the unit label used ('', 'thousands', 'MB', ...)."""
    names = kinds[::-1]
    vals = [tot[k] for k in names]
    div, ulabel = si_scale(max(vals), unit)
    axb.barh(names, [v / div for v in vals], color=[color[k] for k in names])
    grand = sum(vals)
    for i, v in enumerate(vals):
        axb.text(v / div, i, f" {v / div:.3g} ({v / grand:.1%})", va="center", fontsize=7)
    axb.set_xlim(0, max(vals) / div * 1.45)
    axb.tick_params(axis="y", labelsize=7.5)
    axb.grid(axis="y", visible=False)
    return ulabel


def messages(series, report, outdir):
    kinds = [c[: -len("_sent")] for c in series[0].keys() if c.endswith("_sent")]
    sent = {k: [int(r[k + "_sent"]) for r in series] for k in kinds}
    byt = {k: [int(r[k + "_bytes"]) for r in series] for k in kinds}
    tot_sent = {k: sum(v) for k, v in sent.items()}
    tot_bytes = {k: sum(v) for k, v in byt.items()}
    kinds = [k for k in kinds if tot_sent[k] > 0]
    if not kinds:
        return None
    all_sent, all_bytes = sum(tot_sent.values()), sum(tot_bytes.values())
    kinds.sort(key=lambda k: -tot_bytes[k])
    major = [k for k in kinds if tot_sent[k] >= 0.02 * all_sent or tot_bytes[k] >= 0.02 * all_bytes][:9]
    minor = [k for k in kinds if k not in major]
    color = {k: type_color(k, j) for j, k in enumerate(major)}
    for k in minor:
        color[k] = OTHER_COLOR
    groups = [(k, [k]) for k in major] + ([(f"{len(minor)} other types", minor)] if minor else [])
    gcolor = [color.get(g[0], OTHER_COLOR) for g in groups]

    t = [float(r["time_s"]) for r in series]
    dt = sample_interval(t)
    w = smoothing_window(report, dt, len(t))
    fig, axes = plt.subplots(2, 2, figsize=(14, 8.6), gridspec_kw={"width_ratios": [2.3, 1.4], "hspace": 0.32,
                                                                   "wspace": 0.42})
    for row, (data, tot, unit) in enumerate(((sent, tot_sent, ""), (byt, tot_bytes, "B"))):
        ax, axb = axes[row]
        xs = None
        stacks = []
        for _name, members in groups:
            summed = [sum(data[k][i] for k in members) for i in range(len(t))]
            xs, rates = windowed_rates(t, summed, w)
            stacks.append(rates)
        total_rate = [sum(col) for col in zip(*stacks)]
        div, ulabel = si_scale(max(total_rate) if total_rate else 1, unit)
        ax.stackplot(xs, [[v / div for v in s] for s in stacks], colors=gcolor,
                     labels=[g[0] for g in groups] if row == 0 else (), lw=0)
        ax.plot(xs, [v / div for v in total_rate], color="black", lw=1.2, label="all types" if row == 0 else None)
        what = "messages" if unit == "" else "bytes"
        if unit == "":
            ax.set_ylabel(f"messages per second{f' ({ulabel})' if ulabel else ''}\n(all peers)")
        else:
            ax.set_ylabel(f"{ulabel}/s (all peers)")
        ax.set_xlabel("virtual time since start of run (s)")
        ax.set_xlim(0, t[-1])
        ax.set_ylim(bottom=0)
        rows = mark_events(ax, report.get("events") or [], t[-1], fontsize=7.5)
        ax.set_title(f"{what.capitalize()} per second by type, stacked ({w * dt:g} s moving average)",
                     pad=6 + 10 * rows)

        bunit = totals_panel(axb, kinds, tot, color, unit)
        if unit == "":
            axb.set_xlabel(f"messages sent in the run{f' ({bunit})' if bunit else ''}")
            axb.set_title(f"Total: {all_sent:,} messages")
        else:
            axb.set_xlabel(f"{bunit} sent in the run")
            per = (report.get("messages") or {}).get("bytes_per_peer_per_s")
            axb.set_title(f"Total: {all_bytes / 1e6:,.1f} MB"
                          + (f" ({per / 1e3:.1f} KB per peer per s)" if per is not None else ""))
    fig.legend(loc="lower center", ncol=min(6, len(groups) + 1), bbox_to_anchor=(0.5, -0.005), fontsize=8.5,
               frameon=False)
    fig.suptitle(f"Message overhead — {run_title(report)}", y=0.98)
    fig.subplots_adjust(bottom=0.13)
    return save(fig, outdir, "messages")


# ---------------------------------------------------------------------------------------------


def plot_run(rundir, outdir=None, log=print):
    """Makes every plot of the run in RUNDIR; returns the list of files written.
    Raises OSError / ValueError when RUNDIR is not a run output directory."""
    with open(os.path.join(rundir, "report.json")) as f:
        report = json.load(f)
    series = read_csv(os.path.join(rundir, "timeseries.csv"))
    receipts = read_csv(os.path.join(rundir, "receipts.csv"))
    bpath = os.path.join(rundir, "blocks.csv")
    blocks_rows = read_csv(bpath) if os.path.exists(bpath) else []
    outdir = outdir or os.path.join(rundir, "plots")
    os.makedirs(outdir, exist_ok=True)
    written = []
    for name, make in (("convergence", lambda: convergence(receipts, report, outdir)),
                       ("latency_cdf", lambda: latency_cdf(receipts, blocks_rows, report, outdir)),
                       ("membership", lambda: membership(series, report, outdir) if series else None),
                       ("messages", lambda: messages(series, report, outdir) if series else None)):
        paths = make()
        if paths:
            written += paths
        else:
            log(f"plot_run: {name}: nothing to plot (no expected deliveries or no samples), skipped")
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plots of one gossipsim run (see docs/plots.md).")
    ap.add_argument("rundir", help="the --out directory of a gossipsim run (report.json, *.csv)")
    ap.add_argument("--out", help="where to write the plots (default RUN_DIR/plots)")
    args = ap.parse_args(argv)
    try:
        written = plot_run(args.rundir, args.out)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_run: {e} (is {args.rundir} the --out directory of a gossipsim run?)", file=sys.stderr)
        return 2
    print(f"plot_run: {len(written)} files in {args.out or os.path.join(args.rundir, 'plots')}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
