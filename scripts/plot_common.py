"""Helpers shared by the plot scripts (plot_run.py, plot_sweep.py, plot.py).

Only the standard library and Debian's python3-matplotlib (which brings python3-numpy).
"""
import csv
import math
import os
import re

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

# Legible defaults, and reproducible SVGs (same inputs -> byte-identical SVG files).
plt.rcParams.update({
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "gossipsim",
    "svg.fonttype": "path",
})

FORMATS = ("png", "svg")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, outdir, name):
    """Writes OUTDIR/NAME.png and OUTDIR/NAME.svg; returns the paths written."""
    paths = []
    for ext in FORMATS:
        path = os.path.join(outdir, f"{name}.{ext}")
        meta = {"Date": None} if ext == "svg" else {"Software": None}
        fig.savefig(path, dpi=130, bbox_inches="tight", metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def nearest_rank(sorted_vals, q):
    """Nearest-rank percentile as in docs/report.md: the value of rank ceil(q*n), clamped to 1..n."""
    n = len(sorted_vals)
    if n == 0:
        return None
    rank = min(n, max(1, math.ceil(q * n - 1e-9)))
    return sorted_vals[rank - 1]


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text):
    """Go-style duration ('1m30s', '10ms', '0s') -> seconds; None if TEXT is not one."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s:
        return None
    sign = 1.0
    if s[0] in "+-":
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _GO_DURATION.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    return sign * total if pos == len(s) and pos > 0 else None


_SIZE_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}
_SIZE = re.compile(r"^([0-9]*\.?[0-9]+)\s*(B|KB|MB|GB|KiB|MiB|GiB)$")


def parse_size(text):
    """'32KiB', '1MB' -> bytes; None otherwise."""
    m = _SIZE.match(text.strip()) if isinstance(text, str) else None
    return float(m.group(1)) * _SIZE_UNITS[m.group(2)] if m else None


def seconds_formatter():
    """Tick labels for a log time axis in seconds: 0.001, 0.01, 0.1, 1, 10 (no 10^x)."""
    def fmt(v, _pos):
        if v <= 0:
            return "0"
        if v >= 1:
            return f"{v:g}"
        return f"{v:.{max(0, -int(math.floor(math.log10(v) + 1e-9)))}f}".rstrip("0").rstrip(".")
    return FuncFormatter(fmt)


def si_scale(max_abs, unit):
    """(divisor, label) so that values up to MAX_ABS read as 1..999 in UNIT with an SI prefix.

    unit 'B' gives B, KB, MB, GB (powers of 1000); unit '' gives plain, thousands, millions."""
    steps = [(1e9, "G"), (1e6, "M"), (1e3, "K"), (1.0, "")]
    for div, prefix in steps:
        if max_abs >= div:
            break
    else:
        div, prefix = 1.0, ""
    if unit == "":
        word = {"G": "billions", "M": "millions", "K": "thousands", "": ""}[prefix]
        return div, word
    return div, prefix + unit


def time_scale(max_abs):
    """(divisor, unit) for durations in seconds: ms below 1 s, else s."""
    return (1e-3, "ms") if 0 < max_abs < 1 else (1.0, "s")


def plain_log_axis(axis, decades_only=False):
    """Labels of a log AXIS at 1, 2, 5 x 10^k (or at decades only) as plain numbers (0.05, 0.1, 0.2, ...)."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0,) if decades_only else (1.0, 2.0, 5.0)))
    axis.set_major_formatter(seconds_formatter())
    axis.set_minor_formatter(NullFormatter())
