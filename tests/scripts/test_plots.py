#!/usr/bin/python3
"""Tests of the plot scripts (scripts/plot.py, plot_run.py, plot_sweep.py), run by CTest.

  test_plots.py [--gossipsim BIN] --work DIR CASE

CASE is one of:
  logic   the data logic on hand-made inputs (convergence median/band, nearest-rank
          percentiles, moving-average rates, durations, sweep axes), no files
  run     runs BIN on scenarios/leader-election.yaml, then scripts/plot.py on its output:
          every run plot exists as non-empty PNG and SVG, and the percentiles the scripts
          compute from receipts.csv/blocks.csv equal report.json's
  sweep   scripts/plot.py on tests/testdata/sweep (a copy): the sweep plots exist (a figure
          empty in every run is skipped), with --x/--series/--y, and with one varied key and
          one seed
  baddir  a directory that is neither a run nor a sweep, a missing one, and bad options exit 2

Uses Debian's python3-matplotlib (hence /usr/bin/python3).
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import unittest

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPTS = os.path.join(SOURCE, "scripts")
sys.path.insert(0, SCRIPTS)

import plot_common  # noqa: E402
import plot_run  # noqa: E402
import plot_sweep  # noqa: E402

ARGS = None  # set by main()
PY = "/usr/bin/python3"


def plot(*args):
    """Runs scripts/plot.py; returns (exit code, stdout + stderr)."""
    p = subprocess.run([PY, os.path.join(SCRIPTS, "plot.py"), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    return p.returncode, p.stdout


def workdir(name):
    d = os.path.join(ARGS.work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


class FilesMixin:
    def assertPlots(self, outdir, names):
        for n in names:
            for ext in ("png", "svg"):
                path = os.path.join(outdir, f"{n}.{ext}")
                self.assertTrue(os.path.isfile(path), f"missing {path}")
                self.assertGreater(os.path.getsize(path), 1000, f"{path} is (nearly) empty")
                with open(path, "rb") as f:
                    head = f.read(512)
                if ext == "png":
                    self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n", path)
                else:
                    self.assertIn(b"<svg", head + open(path, "rb").read(4096), path)


# ---------------------------------------------------------------------------------------------


def receipt(seq, peer, lat, via, expected="1"):
    return {"channel": "ch1", "seq": str(seq), "peer": peer, "expected": expected,
            "received_at_s": "" if lat is None else str(10 + lat), "latency_s": "" if lat is None else str(lat),
            "via": via or ""}


class Logic(unittest.TestCase):
    def test_nearest_rank(self):
        v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        self.assertEqual(plot_common.nearest_rank(v, 0.5), 5)   # rank ceil(5) = 5
        self.assertEqual(plot_common.nearest_rank(v, 0.9), 9)
        self.assertEqual(plot_common.nearest_rank(v, 0.99), 10)  # rank ceil(9.9) = 10
        self.assertEqual(plot_common.nearest_rank(v, 0.0), 1)    # clamped to 1
        self.assertEqual(plot_common.nearest_rank([7], 0.5), 7)
        self.assertIsNone(plot_common.nearest_rank([], 0.5))

    def test_convergence_median_and_band(self):
        # Block 1: 4 expected peers, one by pull at 2 s. Block 2: 4 expected, two never received
        # it. Block 3: 2 expected. A receipt by a peer that is not expected is ignored.
        receipts = [
            receipt(1, "a", 0.0, "orderer"), receipt(1, "b", 0.01, "push"), receipt(1, "c", 0.02, "push"),
            receipt(1, "d", 2.0, "pull"),
            receipt(2, "a", 0.0, "orderer"), receipt(2, "b", 0.01, "push"), receipt(2, "c", None, None),
            receipt(2, "d", None, None),
            receipt(3, "a", 0.0, "orderer"), receipt(3, "b", 0.05, "push"),
            receipt(3, "z", 0.001, "push", expected="0"),
        ]
        blocks = plot_run.block_latencies(receipts)
        self.assertEqual({k: v["n"] for k, v in blocks.items()}, {("ch1", 1): 4, ("ch1", 2): 4, ("ch1", 3): 2})
        grid = [0.0, 0.015, 0.03, 1.0, 3.0]
        c = plot_run.convergence_curves(blocks, grid)
        # fractions per block over the grid: 1: .25 .5 .75 .75 1 / 2: .25 .5 .5 .5 .5 / 3: .5 .5 .5 1 1
        # nearest rank over 3 blocks: p10 = smallest, p50 = 2nd, p90 = largest.
        self.assertEqual(c["q0.5"], [0.25, 0.5, 0.5, 0.75, 1.0])
        self.assertEqual(c["q0.1"], [0.25, 0.5, 0.5, 0.5, 0.5])
        self.assertEqual(c["q0.9"], [0.5, 0.5, 0.75, 1.0, 1.0])
        # orderer + push only: block 1 stays at .75, so the median at 3 s is .75 (pull adds .25)
        self.assertEqual(c["push_median"], [0.25, 0.5, 0.5, 0.75, 0.75])

    def test_windowed_rates(self):
        t = [float(i) for i in range(1, 13)]
        x, r = plot_run.windowed_rates(t, [4, 0] * 6, 2)  # a burst every 2 s, window 2 s
        self.assertEqual(r, [2.0] * 12)
        self.assertEqual(x[0], 0.5)
        x, r = plot_run.windowed_rates([1.0, 2.0, 2.5], [1, 1, 1], 1)  # short last interval
        self.assertEqual(r, [1.0, 1.0, 2.0])

    def test_smoothing_window_is_lcm_of_periods(self):
        report = {"config": {"workload": {"block_interval": "2s"},
                             "gossip": {"pullInterval": "4s", "publishStateInfoInterval": "4s",
                                        "requestStateInfoInterval": "4s", "aliveTimeInterval": "5s"}}}
        self.assertEqual(plot_run.smoothing_window(report, 1.0, 300), 20)
        self.assertEqual(plot_run.smoothing_window(report, 1.0, 60), 2)  # 20 s > 60/8: fall back

    def test_durations_and_sizes(self):
        self.assertEqual(plot_common.parse_duration("1m30s"), 90.0)
        self.assertAlmostEqual(plot_common.parse_duration("10ms"), 0.01)
        self.assertEqual(plot_common.parse_duration("0s"), 0.0)
        self.assertEqual(plot_common.parse_duration("5m0s"), 300.0)
        self.assertIsNone(plot_common.parse_duration("fabric-1.0"))
        self.assertIsNone(plot_common.parse_duration("3"))
        self.assertEqual(plot_common.parse_size("32KiB"), 32768)

    def test_key_axes(self):
        a = plot_sweep.key_axis("gossip.propagatePeerNum", ["1", "2", "5"])
        self.assertTrue(a["numeric"])
        self.assertEqual(a["pos"], {"1": 1.0, "2": 2.0, "5": 5.0})
        a = plot_sweep.key_axis("network.latency", ["2ms", "20ms", "200ms"])
        self.assertEqual((a["numeric"], a["log"], a["pos"]["20ms"]), (True, True, 20.0))
        self.assertIn("(ms)", a["label"])
        a = plot_sweep.key_axis("profile", ["fabric-1.0", "fabric-2.5"])
        self.assertFalse(a["numeric"])
        self.assertEqual(a["pos"], {"fabric-1.0": 0.0, "fabric-2.5": 1.0})

    def test_figure_scales(self):
        self.assertEqual(plot_sweep.figure_scale("bytes_per_peer_per_s", [61319.0]),
                         (1e3, "bytes per peer per second (KB/s)"))
        self.assertEqual(plot_sweep.figure_scale("time_to_all_p99_s", [0.05, 0.2]),
                         (1e-3, "p99 time to all peers (ms)"))
        self.assertEqual(plot_sweep.figure_scale("time_to_all_p99_s", [5.0])[1], "p99 time to all peers (s)")
        self.assertEqual(plot_sweep.figure_scale("coverage", [0.9])[0], 0.01)


# ---------------------------------------------------------------------------------------------


class Run(unittest.TestCase, FilesMixin):
    def test_run_plots(self):
        self.assertTrue(ARGS.gossipsim, "--gossipsim BIN is needed for the run case")
        w = workdir("run")
        out = os.path.join(w, "le")
        # leader-election: 12 peers, 3 min virtual time, a crash and a restart (well under a second).
        subprocess.run([ARGS.gossipsim, "run", os.path.join(SOURCE, "scenarios", "leader-election.yaml"),
                        "--quiet", "--out", out], check=True, timeout=300)
        code, text = plot(out)
        self.assertEqual(code, 0, text)
        self.assertPlots(os.path.join(out, "plots"), ["convergence", "latency_cdf", "membership", "messages"])

        # What the scripts compute from the CSVs agrees with report.json.
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        receipts = plot_common.read_csv(os.path.join(out, "receipts.csv"))
        lat = sorted(float(r["latency_s"]) for r in receipts if r["expected"] == "1" and r["latency_s"])
        for q in (50, 90, 99):
            self.assertAlmostEqual(plot_common.nearest_rank(lat, q / 100), report["blocks"]["latency_s"][f"p{q}"],
                                   places=8, msg=f"latency p{q}")
        blocks = plot_common.read_csv(os.path.join(out, "blocks.csv"))
        tta = sorted(float(b["time_to_all_s"]) for b in blocks if b["time_to_all_s"])
        self.assertAlmostEqual(plot_common.nearest_rank(tta, 0.99), report["blocks"]["time_to_all_s"]["p99"], places=8)
        self.assertEqual(len(lat), report["blocks"]["deliveries"])
        series = plot_common.read_csv(os.path.join(out, "timeseries.csv"))
        self.assertEqual(sum(int(r[c]) for r in series for c in r if c.endswith("_sent")), report["messages"]["sent"])


class Sweep(unittest.TestCase, FilesMixin):
    DEFAULTS = ["sweep_time_to_all_p99_s", "sweep_latency_p50_s", "sweep_bytes_per_peer_per_s",
                "sweep_coverage", "sweep_data_messages_per_block", "tradeoff"]

    def copy_fixture(self, name):
        d = os.path.join(workdir("sweep-" + name), "sweep")
        shutil.copytree(os.path.join(SOURCE, "tests", "testdata", "sweep"), d)
        return d

    def test_default_plots(self):
        d = self.copy_fixture("default")
        code, text = plot(d)
        self.assertEqual(code, 0, text)
        self.assertPlots(os.path.join(d, "plots"), self.DEFAULTS)
        # membership_converged_at_s is empty in every run of the fixture: skipped, said so
        self.assertFalse(os.path.exists(os.path.join(d, "plots", "sweep_membership_converged_at_s.png")))
        self.assertIn("membership_converged_at_s", text)

    def test_options(self):
        d = self.copy_fixture("options")
        code, text = plot(d, "--x", "network.loss", "--series", "none", "--y", "latency_p99_s", "via_pull",
                          "--out", os.path.join(d, "p2"))
        self.assertEqual(code, 0, text)
        self.assertPlots(os.path.join(d, "p2"), ["sweep_latency_p99_s", "sweep_via_pull", "tradeoff"])
        self.assertFalse(os.path.exists(os.path.join(d, "p2", "sweep_coverage.png")))

    def test_one_key_one_seed(self):
        # Reduce the fixture to one varied key (loss 0 only) and one seed: no CI anywhere.
        d = self.copy_fixture("onekey")
        runs = [r for r in plot_common.read_csv(os.path.join(d, "runs.csv"))
                if r["network.loss"] == "0" and r["seed"] == "1"]
        figs = [c for c in runs[0] if c not in ("run_id", "gossip.propagatePeerNum", "network.loss", "seed")]
        with open(os.path.join(d, "runs.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["run_id", "gossip.propagatePeerNum", "seed"] + figs)
            for r in runs:
                w.writerow([r["run_id"], r["gossip.propagatePeerNum"], r["seed"]] + [r[c] for c in figs])
        with open(os.path.join(d, "summary.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["gossip.propagatePeerNum", "runs"] + [f"{c}_{s}" for c in figs for s in ("n", "mean", "ci95")])
            for r in runs:
                w.writerow([r["gossip.propagatePeerNum"], 1]
                           + [x for c in figs for x in ((1, r[c], "") if r[c] != "" else (0, "", ""))])
        with open(os.path.join(d, "sweep.json"), "w") as f:
            json.dump({"schema": "gossipsim.sweep/1", "scenario": "fixture",
                       "vary": [{"key": "gossip.propagatePeerNum", "values": ["2", "3", "4"]}], "seeds": [1]}, f)
        code, text = plot(d)
        self.assertEqual(code, 0, text)
        self.assertPlots(os.path.join(d, "plots"), self.DEFAULTS)

    def test_runs_flag_without_run_dirs(self):
        d = self.copy_fixture("runs")
        code, text = plot(d, "--runs", "0001")
        self.assertEqual(code, 2, text)
        self.assertIn("no finished run 0001", text)


class BadDir(unittest.TestCase):
    def test_neither_run_nor_sweep(self):
        d = workdir("baddir")
        open(os.path.join(d, "notes.txt"), "w").close()
        code, text = plot(d)
        self.assertEqual(code, 2, text)
        self.assertIn("neither a run output directory", text)
        self.assertFalse(os.path.exists(os.path.join(d, "plots")))

    def test_missing_dir(self):
        code, text = plot(os.path.join(ARGS.work, "does-not-exist"))
        self.assertEqual(code, 2, text)

    def test_bad_options(self):
        d = os.path.join(workdir("badopt"), "sweep")
        shutil.copytree(os.path.join(SOURCE, "tests", "testdata", "sweep"), d)
        for args in (["--x", "gossip.nope"], ["--y", "nope_s"], ["--series", "gossip.nope"],
                     ["--x", "network.loss", "--series", "network.loss"]):
            code, text = plot(d, *args)
            self.assertEqual(code, 2, f"{args}: {text}")
        code, text = plot()
        self.assertEqual(code, 2, text)  # argparse: DIR missing
        code, text = plot("--help")
        self.assertEqual(code, 0, text)
        self.assertIn("sweep", text)

    def test_sweep_json_without_summary(self):
        d = workdir("unfinished")
        with open(os.path.join(d, "sweep.json"), "w") as f:
            json.dump({"schema": "gossipsim.sweep/1", "vary": [], "seeds": [1]}, f)
        code, text = plot(d)
        self.assertEqual(code, 2, text)
        self.assertIn("no summary.csv", text)


CASES = {"logic": Logic, "run": Run, "sweep": Sweep, "baddir": BadDir}


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gossipsim", help="the built gossipsim binary (case 'run')")
    ap.add_argument("--work", required=True, help="scratch directory (created; each case uses a subfolder)")
    ap.add_argument("case", choices=sorted(CASES))
    ARGS = ap.parse_args()
    os.makedirs(ARGS.work, exist_ok=True)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(CASES[ARGS.case])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
