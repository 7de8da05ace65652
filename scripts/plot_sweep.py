#!/usr/bin/python3
"""Plots of a gossipsim sweep, from its output directory (sweep.json, summary.csv, runs.csv).
Reads only those files. Writes PNG and SVG into DIR/plots/:

  sweep_<FIGURE>  the mean of FIGURE vs the first varied key (--x), with 95 % confidence
                  interval error bars, one line per value of the second varied key (--series),
                  each run as a faint dot; with three or more varied keys, one panel per
                  combination of the other keys' values
  tradeoff        bytes per peer per second (x) vs p99 time to all peers (y), both CIs as
                  error bars, one line per series, points labelled with the --x value

Usage: scripts/plot_sweep.py SWEEP_DIR [--x KEY] [--series KEY|none] [--y FIGURE ...] [--out DIR]
Uses Debian's python3-matplotlib (hence /usr/bin/python3). docs/plots.md explains each plot.
"""
import argparse
import itertools
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_common import (parse_duration, parse_size, plain_log_axis, plt, read_csv, save,  # noqa: E402
                         si_scale)

# Figure name -> (axis label without unit, kind). Kinds: "s" duration (s or ms), "frac" fraction
# (shown in %), "B/s" and "B" bytes (SI prefixes, 1 KB = 1000 B), "count" (thousands/millions
# when large), "per_block" messages per block, "at" instant (s since the start of the run).
FIGURES = {
    "coverage": ("coverage (expected deliveries made)", "frac"),
    "latency_mean_s": ("mean first-receipt latency", "s"),
    "latency_p50_s": ("median first-receipt latency", "s"),
    "latency_p90_s": ("p90 first-receipt latency", "s"),
    "latency_p99_s": ("p99 first-receipt latency", "s"),
    "latency_max_s": ("max first-receipt latency", "s"),
    "time_to_all_mean_s": ("mean time to all peers", "s"),
    "time_to_all_p50_s": ("median time to all peers", "s"),
    "time_to_all_p99_s": ("p99 time to all peers", "s"),
    "time_to_all_max_s": ("max time to all peers", "s"),
    "complete_blocks": ("blocks that reached all expected peers", "count"),
    "blocks_injected": ("blocks injected", "count"),
    "via_orderer": ("first receipts from the orderer", "count"),
    "via_push": ("first receipts by push", "count"),
    "via_pull": ("first receipts by pull", "count"),
    "via_state_transfer": ("first receipts by state transfer", "count"),
    "membership_converged_at_s": ("time until membership first exact", "at"),
    "membership_final_accuracy": ("final membership accuracy", "frac"),
    "messages_sent": ("messages sent, all peers", "count"),
    "bytes": ("bytes sent, all peers", "B"),
    "bytes_per_peer_per_s": ("bytes per peer per second", "B/s"),
    "bytes_per_peer_per_s_from_first_block": ("bytes per peer per second while blocks flow", "B/s"),
    "data_messages_per_block": ("DataMessages sent per block", "per_block"),
    "dropped": ("messages dropped", "count"),
    "duplicates_received": ("duplicate block receipts", "count"),
    "events": ("timeline events", "count"),
}
DEFAULT_FIGURES = ["time_to_all_p99_s", "latency_p50_s", "bytes_per_peer_per_s", "coverage",
                   "membership_converged_at_s", "data_messages_per_block"]

# Readable names of frequently varied keys (anything else is shown as its key).
KEY_LABELS = {
    "gossip.propagatePeerNum": "propagatePeerNum (peers per push)",
    "gossip.propagateIterations": "propagateIterations",
    "gossip.pullPeerNum": "pullPeerNum (peers per pull round)",
    "gossip.pullInterval": "pullInterval",
    "gossip.maxPropagationBurstSize": "maxPropagationBurstSize (messages)",
    "gossip.maxPropagationBurstLatency": "maxPropagationBurstLatency",
    "gossip.aliveTimeInterval": "aliveTimeInterval",
    "gossip.aliveExpirationTimeout": "aliveExpirationTimeout",
    "gossip.publishStateInfoInterval": "publishStateInfoInterval",
    "network.loss": "network loss rate",
    "network.latency": "network latency",
    "network.jitter": "network jitter",
    "network.bandwidth": "link bandwidth",
    "workload.block_interval": "block interval",
    "workload.block_size": "block size",
    "profile": "profile",
}

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*"]
COLORS = plt.cm.tab10.colors


class SweepError(Exception):
    """The directory or the options do not make a plottable sweep (exit 2)."""


def num(cell):
    """A CSV cell -> float, or None when empty / not a number."""
    if cell is None or cell == "":
        return None
    try:
        v = float(cell)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


# ---------------------------------------------------------------------------------------------
# Reading


def load_sweep(sweepdir):
    """{"keys": varied keys, "values": {key: [values in sweep order]}, "summary": rows,
    "runs": rows (may be empty), "meta": sweep.json or {}}."""
    spath = os.path.join(sweepdir, "summary.csv")
    if not os.path.exists(spath):
        raise SweepError(f"{spath} not found")
    summary = read_csv(spath)
    with open(spath, newline="") as f:
        header = f.readline().strip().split(",")
    if "runs" not in header:
        raise SweepError(f"{spath}: no 'runs' column (not a gossipsim sweep summary)")
    keys = header[: header.index("runs")]
    meta = {}
    jpath = os.path.join(sweepdir, "sweep.json")
    if os.path.exists(jpath):
        with open(jpath) as f:
            meta = json.load(f)
    values = {}
    declared = {v["key"]: [str(x) for x in v.get("values", [])] for v in meta.get("vary", []) if "key" in v}
    for k in keys:
        seen = list(declared.get(k, []))
        for r in summary:
            if r[k] not in seen:
                seen.append(r[k])
        values[k] = [v for v in seen if any(r[k] == v for r in summary)]
    meta.setdefault("scenario", os.path.basename(os.path.normpath(sweepdir)))
    rpath = os.path.join(sweepdir, "runs.csv")
    runs = read_csv(rpath) if os.path.exists(rpath) else []
    return {"keys": keys, "values": values, "summary": summary, "runs": runs, "meta": meta}


def available_figures(sweep):
    cols = set(sweep["summary"][0].keys()) if sweep["summary"] else set()
    return [c[: -len("_mean")] for c in (sweep["summary"][0].keys() if sweep["summary"] else [])
            if c.endswith("_mean") and c[: -len("_mean")] + "_ci95" in cols]


def has_data(sweep, fig):
    return any(num(r.get(fig + "_mean")) is not None for r in sweep["summary"])


# ---------------------------------------------------------------------------------------------
# Axes: key values and figure units


def key_axis(key, values):
    """How to place KEY's VALUES on an axis: {"numeric": bool, "pos": {value: float},
    "label": axis label with unit, "log": bool}."""
    label = KEY_LABELS.get(key, key)
    nums = [num(v) for v in values]
    unit = ""
    if values and all(n is not None for n in nums):
        pos = dict(zip(values, nums))
    elif values and all(parse_duration(v) is not None for v in values):
        secs = [parse_duration(v) for v in values]
        if max(secs) < 1:
            pos, unit = {v: s * 1e3 for v, s in zip(values, secs)}, "ms"
        else:
            pos, unit = dict(zip(values, secs)), "s"
    elif values and all(parse_size(v) is not None for v in values):
        sizes = [parse_size(v) for v in values]
        div, unit = si_scale(max(sizes), "B")
        pos = {v: s / div for v, s in zip(values, sizes)}
    else:
        return {"numeric": False, "pos": {v: float(i) for i, v in enumerate(values)}, "label": label,
                "log": False}
    xs = sorted(set(pos.values()))
    log = len(xs) >= 3 and xs[0] > 0 and xs[-1] / xs[0] >= 50
    return {"numeric": True, "pos": pos, "label": f"{label} ({unit})" if unit else label, "log": log}


def figure_scale(fig, values):
    """(divisor, axis label with unit) for FIG given the VALUES to show (means + CIs)."""
    label, kind = FIGURES.get(fig, (fig.replace("_", " "), "count"))
    top = max([abs(v) for v in values if v is not None] or [1.0])
    if kind == "frac":
        return 0.01, f"{label} (%)"
    if kind == "s":
        return (1e-3, f"{label} (ms)") if top < 1 else (1.0, f"{label} (s)")
    if kind == "at":
        return 1.0, f"{label} (s since start)"
    if kind in ("B", "B/s"):
        div, unit = si_scale(top, "B")
        return div, f"{label} ({unit}{'/s' if kind == 'B/s' else ''})"
    if kind == "per_block":
        return 1.0, f"{label} (messages)"
    div, word = si_scale(top, "") if top >= 1e4 else (1.0, "")
    return div, f"{label} ({word or 'count'})"


def short_key(key):
    return key.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Grouping


def plan(sweep, x_key, series_key):
    """Panels (one per combination of the keys other than X and SERIES), each a list of series
    (one per SERIES value, or one series when SERIES is None) of summary rows ordered along X."""
    keys = sweep["keys"]
    others = [k for k in keys if k not in (x_key, series_key)]
    combos = list(itertools.product(*[sweep["values"][k] for k in others])) or [()]
    series_vals = sweep["values"][series_key] if series_key else [None]
    xvals = sweep["values"][x_key] if x_key else [None]
    panels = []
    for combo in combos:
        fixed = dict(zip(others, combo))
        ser = []
        for sv in series_vals:
            rows = []
            for xv in xvals:
                for r in sweep["summary"]:
                    if all(r[k] == v for k, v in fixed.items()) and (x_key is None or r[x_key] == xv) \
                            and (series_key is None or r[series_key] == sv):
                        rows.append((xv, r))
                        break
            if rows:
                ser.append((sv, rows))
        if ser:
            panels.append((fixed, ser))
    return panels


def runs_of(sweep, fixed):
    """runs.csv rows matching every key=value of FIXED."""
    return [r for r in sweep["runs"] if all(r.get(k) == v for k, v in fixed.items())]


def dodge(xpos, i, n, axis, width):
    """Shifts series I of N sideways so that error bars do not hide each other."""
    if n <= 1:
        return xpos
    off = (i - (n - 1) / 2) * width
    return xpos * 10 ** off if axis["log"] else xpos + off


def dodge_width(axis, n):
    xs = sorted(set(axis["pos"].values()))
    if axis["log"]:
        gaps = [math.log10(b / a) for a, b in zip(xs, xs[1:])]
    else:
        gaps = [b - a for a, b in zip(xs, xs[1:])]
    gap = min(gaps) if gaps else 1.0
    return min(0.25, 0.5 / max(n, 1)) * gap


def grid_shape(n):
    cols = min(3, n)
    return cols, math.ceil(n / cols)


def panel_title(fixed):
    return ", ".join(f"{short_key(k)} = {v}" for k, v in fixed.items())


def seeds_note(sweep):
    runs = [num(r.get("runs")) or 0 for r in sweep["summary"]]
    lo, hi = (int(min(runs)), int(max(runs))) if runs else (0, 0)
    n = f"{lo}" if lo == hi else f"{lo}–{hi}"
    if hi <= 1:
        return "1 run per point: no confidence interval"
    return f"mean ± 95 % CI (Student t) over {n} runs per point; dots: single runs"


# ---------------------------------------------------------------------------------------------
# (5) figure vs parameter


def draw_series(ax, sweep, fig_name, div, xaxis, fixed, x_key, series_key, si, nser, sv, rows, width):
    """One series of one panel: means with CI error bars, single runs as dots, notes where
    values are missing. Returns the positive y values drawn (for the choice of a log axis)."""
    color, marker = COLORS[si % len(COLORS)], MARKERS[si % len(MARKERS)]
    pts = sorted(((xaxis["pos"][xv], xv, r) for xv, r in rows), key=lambda p: p[0])
    xs, ys, es, shown = [], [], [], []
    for xp, xv, r in pts:
        m = num(r.get(fig_name + "_mean"))
        xd = dodge(xp, si, nser, xaxis, width)
        if m is None:
            # No run of this point had a value (e.g. no block reached every peer).
            ax.plot([xd], [0.03], marker="x", color=color, ms=7, mew=2,
                    transform=ax.get_xaxis_transform(), clip_on=False, zorder=4)
            ax.annotate("n=0: no value", (xd, 0.03), xycoords=("data", "axes fraction"), xytext=(6, -3),
                        textcoords="offset points", fontsize=7, color=color)
            continue
        xs.append(xd)
        ys.append(m / div)
        es.append((num(r.get(fig_name + "_ci95")) or 0.0) / div)
        n, runs = num(r.get(fig_name + "_n")), num(r.get("runs"))
        if n is not None and runs is not None and n < runs:
            ax.annotate(f"n={n:g}/{runs:g}", (xd, m / div), xytext=(5, -10), textcoords="offset points",
                        fontsize=7, color=color)
        sel = dict(fixed)
        if x_key:
            sel[x_key] = xv
        if series_key:
            sel[series_key] = sv
        singles = [num(q.get(fig_name)) for q in runs_of(sweep, sel)]
        singles = [v / div for v in singles if v is not None]
        if len(singles) > 1:
            ax.plot([xd] * len(singles), singles, ".", color=color, alpha=0.3, ms=5, zorder=1)
        shown += singles
    if xs:
        shown += [y - e for y, e in zip(ys, es)] + ys
        ax.errorbar(xs, ys, yerr=es if any(es) else None, color=color, marker=marker, ms=6, lw=1.6,
                    capsize=4, elinewidth=1.2, label=sv if series_key else "mean", zorder=3)
    return [v for v in shown if v > 0]


def style_x_axis(ax, xaxis):
    if xaxis["log"]:
        ax.set_xscale("log")
        ax.minorticks_off()
    ticks = sorted(xaxis["pos"].items(), key=lambda p: p[1])
    if xaxis["numeric"]:
        where = sorted(set(xaxis["pos"].values()))
        ax.set_xticks(where)
        ax.set_xticklabels([f"{p:g}" for p in where])
    else:
        ax.set_xticks([p for _v, p in ticks])
        ax.set_xticklabels([str(v) if v is not None else "" for v, _p in ticks])
        ax.set_xlim(-0.5, len(ticks) - 0.5)
    ax.set_xlabel(xaxis["label"])


def series_legend(fig, axes, series_key):
    """One legend for the figure, titled with the series key, from every panel's lines."""
    if not series_key:
        return
    seen = {}
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    order = [v for v in seen]
    fig.legend([seen[v] for v in order], order, title=KEY_LABELS.get(series_key, series_key),
               loc="upper left", bbox_to_anchor=(1.0, 0.9))


def plot_figure(sweep, fig_name, x_key, series_key, outdir):
    panels = plan(sweep, x_key, series_key)
    xaxis = key_axis(x_key, sweep["values"][x_key]) if x_key else {"numeric": False, "pos": {None: 0.0},
                                                                    "label": "", "log": False}
    vals = []
    for r in sweep["summary"]:
        m, c = num(r.get(fig_name + "_mean")), num(r.get(fig_name + "_ci95")) or 0.0
        if m is not None:
            vals += [m + c, m - c]
    div, ylabel = figure_scale(fig_name, vals)
    cols, nrows = grid_shape(len(panels))
    fig, axes = plt.subplots(nrows, cols, figsize=(6.4 * cols + 1.6, 4.6 * nrows), squeeze=False, sharey=True)
    nser = max(len(ser) for _f, ser in panels)
    width = dodge_width(xaxis, nser)
    positive = []
    for pi, (fixed, ser) in enumerate(panels):
        ax = axes[pi // cols][pi % cols]
        for si, (sv, rows) in enumerate(ser):
            positive += draw_series(ax, sweep, fig_name, div, xaxis, fixed, x_key, series_key, si, nser, sv, rows,
                                    width)
        style_x_axis(ax, xaxis)
        if pi % cols == 0:
            ax.set_ylabel(ylabel)
        if len(panels) > 1:
            ax.set_title(panel_title(fixed), fontsize=10)
    for pi in range(len(panels), nrows * cols):
        axes[pi // cols][pi % cols].set_visible(False)
    ax0 = axes[0][0]  # the y axis is shared
    kind = FIGURES.get(fig_name, ("", "count"))[1]
    below_zero = False
    if kind == "frac":
        lo, hi = ax0.get_ylim()
        ax0.set_ylim(lo, min(hi, 100.5) if lo < 100 else hi)
    elif positive and max(positive) / min(positive) >= 30:
        ax0.set_yscale("log")
        plain_log_axis(ax0.yaxis)
        below_zero = any(v <= 0 for v in vals[1::2])  # lower ends of the intervals
    else:
        ax0.set_ylim(bottom=0)
    series_legend(fig, axes, series_key)
    label = FIGURES.get(fig_name, (fig_name, ""))[0]
    versus = f"vs {short_key(x_key)}" if x_key else "(no varied key)"
    # A log axis cannot show an interval reaching zero or below: its bar runs off the bottom.
    clipped = "; bars running off the bottom reach below 0" if below_zero else ""
    fig.suptitle(f"{label[0].upper() + label[1:]} {versus} — sweep of {sweep['meta']['scenario']}\n"
                 f"{seeds_note(sweep)}{clipped}", y=1.0)
    fig.tight_layout()
    return save(fig, outdir, f"sweep_{fig_name}")


# ---------------------------------------------------------------------------------------------
# (6) trade-off


def plot_tradeoff(sweep, x_key, series_key, outdir, fx="bytes_per_peer_per_s", fy="time_to_all_p99_s"):
    if not (has_data(sweep, fx) and has_data(sweep, fy)):
        return None
    panels = plan(sweep, x_key, series_key)
    allx = [num(r.get(fx + "_mean")) for r in sweep["summary"]]
    ally = [num(r.get(fy + "_mean")) for r in sweep["summary"]]
    xdiv, xlabel = figure_scale(fx, allx)
    ydiv, ylabel = figure_scale(fy, ally)
    cols, nrows = grid_shape(len(panels))
    # Panels do not share axes: each combination's points would otherwise be squeezed together.
    fig, axes = plt.subplots(nrows, cols, figsize=(6.6 * cols + 1.8, 5.2 * nrows), squeeze=False)
    omitted = []
    for pi, (fixed, ser) in enumerate(panels):
        ax = axes[pi // cols][pi % cols]
        xs_all, ys_all = [], []
        for si, (sv, rows) in enumerate(ser):
            color, marker = COLORS[si % len(COLORS)], MARKERS[si % len(MARKERS)]
            xaxis = key_axis(x_key, sweep["values"][x_key]) if x_key else None
            pts = sorted(rows, key=lambda p: xaxis["pos"][p[0]]) if xaxis else rows
            xs, ys, xe, ye, names = [], [], [], [], []
            for xv, r in pts:
                mx, my = num(r.get(fx + "_mean")), num(r.get(fy + "_mean"))
                if mx is None or my is None:
                    omitted.append(", ".join(f"{short_key(k)}={r[k]}" for k in sweep["keys"]))
                    continue
                xs.append(mx / xdiv)
                ys.append(my / ydiv)
                xe.append((num(r.get(fx + "_ci95")) or 0.0) / xdiv)
                ye.append((num(r.get(fy + "_ci95")) or 0.0) / ydiv)
                names.append(xv)
            if not xs:
                continue
            xs_all += xs
            ys_all += ys
            ax.errorbar(xs, ys, xerr=xe if any(xe) else None, yerr=ye if any(ye) else None, color=color,
                        marker=marker, ms=7, lw=1.4, capsize=3, elinewidth=1, label=sv if series_key else "mean",
                        zorder=3)
            for x, y, nm in zip(xs, ys, names):
                if nm is not None:
                    ax.annotate(str(nm), (x, y), xytext=(6, 5), textcoords="offset points", fontsize=8.5,
                                color=color, fontweight="bold")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(panels) > 1:
            ax.set_title(panel_title(fixed), fontsize=10)
        ax.annotate("better ↙", (0.02, 0.02), xycoords="axes fraction", fontsize=9, color="dimgray")
        if xs_all and min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 30:
            ax.set_xscale("log")
            plain_log_axis(ax.xaxis)
        if ys_all and min(ys_all) > 0 and max(ys_all) / min(ys_all) >= 30:
            ax.set_yscale("log")
            plain_log_axis(ax.yaxis)
    for pi in range(len(panels), nrows * cols):
        axes[pi // cols][pi % cols].set_visible(False)
    series_legend(fig, axes, series_key)
    xl = f"; points labelled with {short_key(x_key)}" if x_key else ""
    om = ""
    if omitted:
        om = (f"\nnot shown (no value): {'; '.join(omitted[:3])}"
              + (f" and {len(omitted) - 3} more" if len(omitted) > 3 else ""))
    fig.suptitle(f"Trade-off: gossip traffic vs p99 time to all peers — sweep of "
                 f"{sweep['meta']['scenario']}\n{seeds_note(sweep).split(';')[0]}{xl}{om}", y=1.0)
    fig.tight_layout()
    return save(fig, outdir, "tradeoff")


# ---------------------------------------------------------------------------------------------


def plot_sweep(sweepdir, x_key=None, series_key=None, figures=None, outdir=None, log=print):
    """Makes the sweep plots; returns the files written. Raises SweepError on bad input/options."""
    sweep = load_sweep(sweepdir)
    keys = sweep["keys"]
    if not sweep["summary"]:
        raise SweepError(f"{sweepdir}/summary.csv has no rows")
    if x_key is not None and x_key not in keys:
        raise SweepError(f"--x {x_key}: not a varied key (varied: {', '.join(keys) or 'none'})")
    if series_key not in (None, "none") and series_key not in keys:
        raise SweepError(f"--series {series_key}: not a varied key (varied: {', '.join(keys) or 'none'})")
    x_key = x_key or (keys[0] if keys else None)
    if series_key == "none":
        series_key = None
    elif series_key is None:
        series_key = next((k for k in keys if k != x_key), None)
    if series_key is not None and series_key == x_key:
        raise SweepError("--series must differ from --x")
    avail = available_figures(sweep)
    if figures:
        bad = [f for f in figures if f not in avail]
        if bad:
            raise SweepError(f"--y {' '.join(bad)}: no such figure in summary.csv (have: {', '.join(avail)})")
    else:
        figures = [f for f in DEFAULT_FIGURES if f in avail]
    outdir = outdir or os.path.join(sweepdir, "plots")
    os.makedirs(outdir, exist_ok=True)
    written = []
    for f in figures:
        if not has_data(sweep, f):
            log(f"plot_sweep: {f}: no value in any run (all empty), skipped")
            continue
        written += plot_figure(sweep, f, x_key, series_key, outdir)
    # The cost while blocks flow, when the runs report it (older runs: the whole-run figure).
    fx = "bytes_per_peer_per_s_from_first_block"
    t = plot_tradeoff(sweep, x_key, series_key, outdir, fx=fx if has_data(sweep, fx) else "bytes_per_peer_per_s")
    if t:
        written += t
    else:
        log("plot_sweep: tradeoff: bytes_per_peer_per_s or time_to_all_p99_s empty everywhere, skipped")
    return written


def add_arguments(ap):
    ap.add_argument("--x", metavar="KEY", help="varied key on the x axis (default: the first varied key)")
    ap.add_argument("--series", metavar="KEY",
                    help="varied key drawn as one line per value (default: the second varied key; 'none': no series)")
    ap.add_argument("--y", metavar="FIGURE", nargs="+",
                    help=f"figures to plot (default: {' '.join(DEFAULT_FIGURES)}); any column F of summary.csv "
                         "that has F_mean and F_ci95")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plots of a gossipsim sweep (see docs/plots.md).")
    ap.add_argument("sweepdir", help="the --out directory of gossipsim sweep (summary.csv, runs.csv, sweep.json)")
    add_arguments(ap)
    ap.add_argument("--out", help="where to write the plots (default SWEEP_DIR/plots)")
    args = ap.parse_args(argv)
    try:
        written = plot_sweep(args.sweepdir, args.x, args.series, args.y, args.out)
    except (SweepError, OSError, ValueError, KeyError) as e:
        print(f"plot_sweep: {e}", file=sys.stderr)
        return 2
    print(f"plot_sweep: {len(written)} files in {args.out or os.path.join(args.sweepdir, 'plots')}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
