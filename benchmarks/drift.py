"""Drift for 50 features at 1M rows: Assay's engine against scipy's ks_2samp per feature
(the peer for KS; PSI has no reference library, its numbers are checked in the tests).
Appends to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/drift.py --rows 1000000 --features 50
"""

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np
import scipy
from results import publish
from scipy.stats import ks_2samp

from explain.engines.drift import DriftRecipe, drift_report


def measure(rows: int, features: int) -> tuple[float, float, float]:
    """(Assay seconds, scipy seconds, largest KS difference) on the same data."""
    rng = np.random.default_rng(5)
    reference = {f"f{i}": rng.normal(size=rows) for i in range(features)}
    comparison = {f"f{i}": rng.normal(0.02 * i, 1, size=rows) for i in range(features)}
    started = time.perf_counter()
    report = drift_report(reference, comparison, DriftRecipe())
    assay_s = time.perf_counter() - started
    started = time.perf_counter()
    scipy_ks = {name: ks_2samp(reference[name], comparison[name]).statistic
                for name in reference}
    scipy_s = time.perf_counter() - started
    return assay_s, scipy_s, max(abs(report["features"][n]["ks"] - scipy_ks[n])
                                 for n in reference)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    assay_s, scipy_s, worst = measure(args.rows, args.features)
    text = "\n".join([
        f"## Drift (PSI + KS) — {dt.date.today().isoformat()}", "",
        f"{os.cpu_count()} cores, {platform.machine()}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}; CPU only.", "",
        "| rows | features | Assay PSI + KS + missing, s | scipy ks_2samp alone, s | "
        "max KS difference |", "|---|---|---|---|---|",
        f"| {args.rows:,} | {args.features} | {assay_s:.2f} | {scipy_s:.2f} | {worst:.1e} |",
        ""])
    publish(text, record=not args.no_record)


if __name__ == "__main__":
    main()
