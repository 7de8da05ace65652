#!/usr/bin/python3
"""Every plot of a gossipsim output directory, in one command.

  scripts/plot.py RUN_DIR      a `gossipsim run --out` directory (report.json, *.csv):
                               convergence, latency_cdf, membership, messages
  scripts/plot.py SWEEP_DIR    a `gossipsim sweep --out` directory (summary.csv, runs.csv,
                               sweep.json): sweep_<figure> per figure, tradeoff; with --runs
                               also the run plots of the sweep's runs

PNG and SVG files go to DIR/plots/ (or --out). docs/plots.md describes every plot.
Exit codes: 0 plots written; 2 bad usage or DIR is neither a run nor a sweep directory.
Uses Debian's python3-matplotlib: run it as `/usr/bin/python3 scripts/plot.py DIR` or directly.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_run  # noqa: E402
import plot_sweep  # noqa: E402


def kind_of(d):
    """'run', 'sweep' or None."""
    if os.path.isfile(os.path.join(d, "report.json")):
        return "run"
    if os.path.isfile(os.path.join(d, "summary.csv")) or os.path.isfile(os.path.join(d, "sweep.json")):
        return "sweep"
    return None


def sweep_run_dirs(sweepdir, which):
    """[(run_id, path)] of the sweep's run directories with a report.json; WHICH is 'all' or
    a comma-separated list of run ids."""
    root = os.path.join(sweepdir, "runs")
    have = sorted(e for e in (os.listdir(root) if os.path.isdir(root) else [])
                  if os.path.isfile(os.path.join(root, e, "report.json")))
    if which == "all":
        return [(r, os.path.join(root, r)) for r in have]
    wanted = [w.strip() for w in which.split(",") if w.strip()]
    missing = [w for w in wanted if w not in have]
    if missing:
        raise plot_sweep.SweepError(f"--runs: no finished run {', '.join(missing)} under {root}/ "
                                    f"(have: {', '.join(have[:10])}{' ...' if len(have) > 10 else ''})")
    return [(r, os.path.join(root, r)) for r in wanted]


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="plot.py",
        description="Makes every plot of a gossipsim run or sweep output directory into DIR/plots/ "
                    "(PNG and SVG). See docs/plots.md.",
        epilog="Exit codes: 0 plots written; 2 bad usage, or DIR is neither a run directory "
               "(report.json) nor a sweep directory (summary.csv / sweep.json).")
    ap.add_argument("dir", metavar="DIR", help="output directory of `gossipsim run` or `gossipsim sweep`")
    ap.add_argument("--out", metavar="PLOTS_DIR", help="where to write the plots (default DIR/plots)")
    g = ap.add_argument_group("sweep directories only")
    plot_sweep.add_arguments(g)
    g.add_argument("--runs", metavar="ID[,ID...]", nargs="?", const="all",
                   help="also the run plots of the sweep's runs (all of them, or the given run ids) "
                        "into PLOTS_DIR/runs/<run_id>/")
    args = ap.parse_args(argv)

    d = args.dir
    if not os.path.isdir(d):
        print(f"plot: {d}: no such directory", file=sys.stderr)
        return 2
    kind = kind_of(d)
    if kind is None:
        print(f"plot: {d} is neither a run output directory (report.json) nor a sweep output directory "
              "(summary.csv / sweep.json)", file=sys.stderr)
        return 2
    outdir = args.out or os.path.join(d, "plots")
    written = []
    try:
        if kind == "run":
            if args.x or args.series or args.y or args.runs:
                print("plot: --x, --series, --y and --runs apply to sweep directories only", file=sys.stderr)
                return 2
            written = plot_run.plot_run(d, outdir)
        else:
            if not os.path.isfile(os.path.join(d, "summary.csv")):
                print(f"plot: {d} has sweep.json but no summary.csv (sweep not finished?)", file=sys.stderr)
                return 2
            runs = sweep_run_dirs(d, args.runs) if args.runs else []
            written = plot_sweep.plot_sweep(d, args.x, args.series, args.y, outdir)
            for rid, rdir in runs:
                written += plot_run.plot_run(rdir, os.path.join(outdir, "runs", rid))
    except plot_sweep.SweepError as e:
        print(f"plot: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as e:
        print(f"plot: {d}: unreadable {kind} output: {e!r}", file=sys.stderr)
        return 2
    print(f"plot: {kind} {d}: {len(written)} files in {outdir}/")
    for p in written:
        if p.endswith(".png"):
            print(f"  {os.path.relpath(p, outdir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
