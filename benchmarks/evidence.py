"""Evidence benchmark, in one run: (a) SHAP through the Assay pipeline against shap called
directly on the same model and rows, (b) fairness metrics against fairlearn's MetricFrame,
(c) PSI/KS drift against scipy, and (d-f, benchmarks/kinds.py) drift of categorical and
low-cardinality columns, regression and multiclass performance against their peers.
Prints the table and appends it to benchmarks/RESULTS.md.

(a) The pipeline is what a worker does for a SHAP run minus the database writes: read
the dataset (Parquet bytes), load the artifact (XGBoost JSON bytes), path-dependent
TreeSHAP for every row, the summary (importance, plot sample) and the per-row Parquet.
The peer gets the booster and the DataFrame already in memory and only computes.

    .venv/bin/python benchmarks/evidence.py                 # 100k SHAP, 1M + 10M fairness, 1M drift
    .venv/bin/python benchmarks/evidence.py --quick --no-record
"""

import argparse
import datetime as dt
import io
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")


def _shap_inputs(rows: int, features: int, trees: int):
    import xgboost

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(rows, features)),
                         columns=[f"x{i}" for i in range(features)])
    frame.iloc[rng.random(rows) < 0.02, 3] = np.nan  # some missing values, as in real data
    logit = frame["x0"] - 0.5 * frame["x1"].fillna(0) + 0.3 * frame["x2"] ** 2
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.1,
                             "nthread": os.cpu_count()},
                            xgboost.DMatrix(frame, target), num_boost_round=trees)
    buffer = io.BytesIO()
    frame.assign(default=target).to_parquet(buffer, index=False)
    return frame, booster, bytes(booster.save_raw("json")), buffer.getvalue()


def _assay_shap(artifact: bytes, parquet: bytes, features: list[str]):
    from explain.engines.scoring import load_scoring_model
    from explain.execution import RunInputs, json_safe, rows_shap, summarize_shap, to_parquet
    from explain.models import EvidenceRun
    from explain.recipes import build_recipe
    from registry.models import Dataset
    from registry.tabular import read_frame

    columns = [{"name": name, "role": "feature"} for name in features] + [
        {"name": "default", "role": "target"}]
    run = EvidenceRun(kind="shap", dataset=Dataset(columns=columns), recipe=build_recipe(
        "shap", {"methods": ["tree_path_dependent"]}, resolved={}))
    frame = read_frame(parquet, "parquet")
    inputs = RunInputs(run, load_scoring_model(artifact, "xgboost_json", features), frame, None)
    rows = rows_shap(inputs, 0, len(frame))
    json_safe(summarize_shap(inputs, rows))
    to_parquet(rows)
    return rows[[f"tree_path_dependent__{name}" for name in features]].to_numpy()


def _shap_direct(booster, frame: pd.DataFrame):
    import shap

    return shap.TreeExplainer(booster).shap_values(frame)


def _best(function, *args, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return min(times), result


def measure_shap(rows: int, features: int, trees: int, repeat: int):
    frame, booster, artifact, parquet = _shap_inputs(rows, features, trees)
    # Alternate the two, so neither profits from a warmer machine.
    assay_s, direct_s = [], []
    for _ in range(repeat):
        seconds, assay_values = _best(_assay_shap, artifact, parquet, list(frame.columns),
                                      repeat=1)
        assay_s.append(seconds)
        seconds, direct_values = _best(_shap_direct, booster, frame, repeat=1)
        direct_s.append(seconds)
    worst = float(np.max(np.abs(assay_values - direct_values)))
    return min(assay_s), min(direct_s), worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shap-rows", type=int, default=100_000)
    parser.add_argument("--shap-features", type=int, default=20)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--fairness-rows", type=int, nargs="+",
                        default=[1_000_000, 10_000_000])
    parser.add_argument("--drift-rows", type=int, default=1_000_000)
    parser.add_argument("--drift-features", type=int, default=50)
    parser.add_argument("--kinds-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.shap_rows, args.fairness_rows, args.drift_rows = 5_000, [100_000], 100_000
        args.kinds_rows = 100_000
        args.repeat = 1

    import django

    django.setup()
    import drift as drift_benchmark
    import fairlearn
    import fairness as fairness_benchmark
    import kinds as kinds_benchmark
    import scipy
    import shap
    import xgboost
    from results import publish

    lines = [f"## Evidence pipeline — {dt.date.today().isoformat()}", "",
             f"{os.cpu_count()} cores, {platform.machine()}; Python "
             f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
             f"shap {shap.__version__}, xgboost {xgboost.__version__}, fairlearn "
             f"{fairlearn.__version__}, scipy {scipy.__version__}; CPU only (no GPU in this "
             "run).", ""]

    assay_s, direct_s, worst = measure_shap(args.shap_rows, args.shap_features, args.trees,
                                            args.repeat)
    overhead = assay_s / direct_s - 1
    print(f"SHAP {args.shap_rows:,} rows: Assay pipeline {assay_s:.2f} s, shap {direct_s:.2f} s,"
          f" overhead {overhead:+.1%}, max |difference| {worst:.1e}", flush=True)
    lines += [f"(a) Path-dependent TreeSHAP, XGBoost {args.trees} trees of depth 6, "
              f"{args.shap_features} features; best of {args.repeat}, alternating.", "",
              "| rows | Assay pipeline s | shap TreeExplainer s | overhead | max abs difference |",
              "|---|---|---|---|---|",
              f"| {args.shap_rows:,} | {assay_s:.2f} | {direct_s:.2f} | {overhead:+.1%} | "
              f"{worst:.1e} |", ""]

    lines += ["(b) Fairness: selection rate, TPR, FPR for 3 attributes and their intersection "
              "(12 groups) and the demographic parity difference; Assay best of 3, fairlearn "
              "one run.", "",
              "| rows | Assay s | fairlearn s | speed-up | max abs difference |",
              "|---|---|---|---|---|"]
    for rows in args.fairness_rows:
        _, fair_s, learn_s, diff = fairness_benchmark.measure(rows)
        print(f"fairness {rows:,} rows: Assay {fair_s:.3f} s, fairlearn {learn_s:.2f} s, "
              f"{learn_s / fair_s:.0f}x, max |difference| {diff:.1e}", flush=True)
        lines.append(f"| {rows:,} | {fair_s:.3f} | {learn_s:.2f} | {learn_s / fair_s:.0f}x | "
                     f"{diff:.1e} |")

    drift_s, scipy_s, ks_diff = drift_benchmark.measure(args.drift_rows, args.drift_features)
    print(f"drift {args.drift_rows:,} rows x {args.drift_features}: Assay {drift_s:.2f} s, "
          f"scipy ks_2samp {scipy_s:.2f} s", flush=True)
    lines += ["", "(c) Drift: PSI + KS + missing counts per feature (Assay) against scipy's "
              "ks_2samp alone (the peer for KS; PSI has no reference library).", "",
              "| rows | features | Assay s | scipy s | ratio | max KS difference |",
              "|---|---|---|---|---|---|",
              f"| {args.drift_rows:,} | {args.drift_features} | {drift_s:.2f} | {scipy_s:.2f} | "
              f"{scipy_s / drift_s:.1f}x | {ks_diff:.1e} |", ""]
    lines += kinds_benchmark.lines(args.kinds_rows, args.repeat)
    publish("\n".join(lines), record=not args.no_record)


if __name__ == "__main__":
    main()
