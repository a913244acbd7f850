"""Issue 13's evidence paths against their peers, at 1M rows, in one process:

(d) drift of 50 features of mixed kinds (20 continuous, 15 binary or low-cardinality
    numeric, 15 string categories) against a peer built from the reference libraries:
    scipy's ks_2samp for KS and the textbook per-category PSI from pandas' value_counts
    (PSI has no reference library); numbers must be identical;
(e) regression performance (RMSE, MAE, R-squared) against scikit-learn's metrics;
(f) multiclass performance (one-vs-rest AUC per class and macro, log loss, accuracy,
    confusion matrix) against scikit-learn's.

    .venv/bin/python benchmarks/kinds.py               # 1M rows, appends to RESULTS.md
    .venv/bin/python benchmarks/kinds.py --rows 100000 --no-record
"""

import time

import numpy as np
import pandas as pd


def _best(function, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def drift_data(rows: int):
    rng = np.random.default_rng(9)
    reference, comparison, kinds = {}, {}, {}
    for i in range(20):
        reference[f"num{i}"] = rng.normal(size=rows)
        comparison[f"num{i}"] = rng.normal(0.02 * i, 1, rows)
        kinds[f"num{i}"] = "continuous"
    for i in range(15):
        levels = 2 + i % 8  # binary flags up to 9-level counts
        reference[f"low{i}"] = rng.integers(0, levels, rows).astype(float)
        comparison[f"low{i}"] = np.minimum(rng.integers(0, levels + 1, rows), levels).astype(
            float)
        kinds[f"low{i}"] = "low-cardinality"
    for i in range(15):
        labels = np.array([f"category {k}" for k in range(4 + i)], dtype=object)
        reference[f"cat{i}"] = labels[rng.integers(0, len(labels) - 1, rows)]
        comparison[f"cat{i}"] = labels[rng.integers(0, len(labels), rows)]  # one unseen
        kinds[f"cat{i}"] = "string"
    return reference, comparison, kinds


def peer_drift(reference: dict, comparison: dict, kinds: dict, epsilon: float = 1e-4):
    """scipy's KS and the per-category PSI from value_counts, unseen values pooled."""
    from scipy.stats import ks_2samp

    result = {}
    for name, kind in kinds.items():
        ref, cmp_ = reference[name], comparison[name]
        entry = {}
        if kind != "string":
            entry["ks"] = ks_2samp(ref, cmp_).statistic
        if kind != "continuous":
            ref_share = pd.Series(ref).value_counts(normalize=True)
            cmp_counts = pd.Series(cmp_).value_counts()
            seen = cmp_counts.index.isin(ref_share.index)
            cmp_share = cmp_counts[seen].reindex(ref_share.index, fill_value=0) / len(cmp_)
            unseen = cmp_counts[~seen].sum() / len(cmp_)
            r = np.maximum(np.append(ref_share.to_numpy(), 0.0), epsilon)
            c = np.maximum(np.append(cmp_share.to_numpy(), unseen), epsilon)
            entry["psi"] = float(np.sum((c - r) * np.log(c / r)))
        result[name] = entry
    return result


def measure_drift(rows: int, repeat: int):
    from explain.engines.drift import DriftRecipe, drift_report

    reference, comparison, kinds = drift_data(rows)
    assay_s, report = _best(lambda: drift_report(reference, comparison, DriftRecipe()), repeat)
    peer_s, peer = _best(lambda: peer_drift(reference, comparison, kinds), 1)
    worst = 0.0
    for name, entry in peer.items():
        for key, value in entry.items():
            worst = max(worst, abs(report["features"][name][key] - value))
    return assay_s, peer_s, worst


def measure_regression(rows: int, repeat: int):
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    from explain.engines.outcomes import error_metrics, regression_metrics

    rng = np.random.default_rng(10)
    observed = np.clip(rng.beta(2, 5, rows), 0, 1)
    predicted = np.clip(observed + rng.normal(0, 0.15, rows), 0, 1)

    def assay():
        return error_metrics(observed, predicted)

    def sklearn():
        return {"rmse": root_mean_squared_error(observed, predicted),
                "mae": mean_absolute_error(observed, predicted),
                "r2": r2_score(observed, predicted)}

    full_s, full = _best(lambda: regression_metrics(observed, predicted), repeat)
    assay_s, _ = _best(assay, repeat)
    peer_s, peer = _best(sklearn, repeat)
    worst = max(abs(full[name] - peer[name]) for name in peer)
    return assay_s, full_s, peer_s, worst


def measure_multiclass(rows: int, classes: int, repeat: int):
    from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, roc_auc_score

    from explain.engines.outcomes import multiclass_report

    rng = np.random.default_rng(11)
    logits = rng.normal(size=(rows, classes))
    truth = np.argmax(logits + rng.normal(0, 1, (rows, classes)), axis=1)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = list(range(classes))

    def sklearn():
        decided = probabilities.argmax(axis=1)
        return {"auc_macro_ovr": roc_auc_score(truth, probabilities, multi_class="ovr"),
                "log_loss": log_loss(truth, probabilities, labels=labels),
                "accuracy": accuracy_score(truth, decided),
                "confusion": confusion_matrix(truth, decided, labels=labels).tolist()}

    assay_s, report = _best(lambda: multiclass_report(truth, probabilities, labels), repeat)
    peer_s, peer = _best(sklearn, repeat)
    worst = max(abs(report["metrics"][name] - peer[name])
                for name in ("auc_macro_ovr", "log_loss", "accuracy"))
    assert report["confusion"]["rows_true_columns_decided"] == peer["confusion"]
    return assay_s, peer_s, worst


def lines(rows: int, repeat: int) -> list[str]:
    drift_s, drift_peer_s, drift_diff = measure_drift(rows, repeat)
    print(f"mixed drift {rows:,} x 50: Assay {drift_s:.2f} s, peer {drift_peer_s:.2f} s, "
          f"max |difference| {drift_diff:.1e}", flush=True)
    reg_s, reg_full_s, reg_peer_s, reg_diff = measure_regression(rows, repeat)
    print(f"regression {rows:,}: Assay {reg_s:.3f} s (with Somers' D {reg_full_s:.2f} s), "
          f"scikit-learn {reg_peer_s:.3f} s, max |difference| {reg_diff:.1e}", flush=True)
    multi_s, multi_peer_s, multi_diff = measure_multiclass(rows, 5, repeat)
    print(f"multiclass {rows:,} x 5: Assay {multi_s:.2f} s, scikit-learn {multi_peer_s:.2f} s,"
          f" max |difference| {multi_diff:.1e}", flush=True)
    return [
        "(d) Drift of 50 mixed features (20 continuous, 15 binary/low-cardinality numeric with "
        "one bin per value, 15 string categories with an unseen one): Assay's drift_report "
        "against scipy's ks_2samp plus the per-category PSI from pandas' value_counts; "
        f"Assay best of {repeat}, peer one run.", "",
        "| rows | features | Assay s | peer s | peer / Assay | max abs difference |",
        "|---|---|---|---|---|---|",
        f"| {rows:,} | 50 | {drift_s:.2f} | {drift_peer_s:.2f} | "
        f"{drift_peer_s / drift_s:.2f}x | {drift_diff:.1e} |", "",
        "(e) Regression performance: RMSE, MAE, R-squared, Assay's error_metrics against "
        "scikit-learn's root_mean_squared_error, mean_absolute_error and r2_score "
        f"(best of {repeat} each); Assay's full metrics with Somers' D (Kendall-based, "
        "O(n log n)) for scale.", "",
        "| rows | Assay s | Assay with Somers' D s | scikit-learn s | scikit-learn / Assay | "
        "max abs difference |", "|---|---|---|---|---|---|",
        f"| {rows:,} | {reg_s:.3f} | {reg_full_s:.2f} | {reg_peer_s:.3f} | "
        f"{reg_peer_s / reg_s:.2f}x | {reg_diff:.1e} |", "",
        "(f) Multiclass performance, 5 classes: one-vs-rest AUC per class and macro, log "
        "loss, accuracy and the confusion matrix; Assay's multiclass_report against "
        f"scikit-learn's roc_auc_score(multi_class='ovr'), log_loss, accuracy_score and "
        f"confusion_matrix (best of {repeat} each; confusion matrices identical).", "",
        "| rows | Assay s | scikit-learn s | scikit-learn / Assay | max abs difference |",
        "|---|---|---|---|---|",
        f"| {rows:,} | {multi_s:.2f} | {multi_peer_s:.2f} | "
        f"{multi_peer_s / multi_s:.2f}x | {multi_diff:.1e} |", ""]


def main():
    import argparse
    import datetime as dt
    import os
    import platform
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    import scipy
    import sklearn
    from results import publish

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--machine", default="", help="words describing the machine")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    header = [f"## Evidence for every kind of model (issue 13) — {dt.date.today().isoformat()}",
              "", f"{args.machine or platform.node()}: {os.cpu_count()} cores, "
              f"{platform.machine()}; Python {platform.python_version()}, numpy "
              f"{np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
              f"scikit-learn {sklearn.__version__}; CPU only.", ""]
    publish("\n".join(header + lines(args.rows, args.repeat)), record=not args.no_record)


if __name__ == "__main__":
    main()
