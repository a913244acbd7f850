"""Fairness metrics: Assay's engine against fairlearn's MetricFrame on the same data.

3 protected attributes and their intersection (2 x 2 x 3 = 12 groups), rows drawn to
look like German Credit; the numbers must agree (groups with an undefined rate are
excluded, see explain/engines/fairness.py). Appends to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/fairness.py --rows 1000000 10000000
"""

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np
import pandas as pd
from results import publish


def make_data(rows: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    # Categorical columns, as they arrive from Parquet; both libraries get the same ones.
    data = {"sex": rng.choice(["female", "male"], rows, p=[0.31, 0.69]),
            "age": rng.choice(["<25", ">=25"], rows, p=[0.15, 0.85]),
            "foreign": rng.choice(["yes", "no", "unknown"], rows, p=[0.9, 0.07, 0.03])}
    data = {name: pd.Series(values, dtype="category") for name, values in data.items()}
    y_true = (rng.random(rows) < 0.3).astype(np.int64)
    y_pred = ((0.3 * y_true + rng.random(rows)) > 0.6).astype(np.int64)
    return y_true, y_pred, data


def run_assay(y_true, y_pred, data):
    from explain.engines.fairness import fairness_report

    return fairness_report(y_true, y_pred, data)


def run_fairlearn(y_true, y_pred, data):
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    frame = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                                 "fpr": false_positive_rate},
                        y_true=y_true, y_pred=y_pred, sensitive_features=pd.DataFrame(data))
    return frame.by_group, frame.difference(method="between_groups")


def timed(function, *args, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(rows: int) -> tuple[int, float, float, float]:
    """(groups, Assay seconds best of 3, fairlearn seconds, largest difference)."""
    y_true, y_pred, data = make_data(rows)
    assay_s, report = timed(run_assay, y_true, y_pred, data, repeat=3)
    fairlearn_s, (by_group, difference) = timed(run_fairlearn, y_true, y_pred, data)
    worst = 0.0
    for group in report.groups:
        key = tuple(group["group"][n] for n in ("sex", "age", "foreign"))
        for metric in ("selection_rate", "tpr", "fpr"):
            worst = max(worst, abs(group[metric] - by_group.loc[key, metric]))
    worst = max(worst, abs(report.summary["demographic_parity_difference"]
                           - difference["selection_rate"]))
    return len(report.groups), assay_s, fairlearn_s, worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    import fairlearn

    rows_out = []
    for rows in args.rows:
        groups, assay_s, fairlearn_s, worst = measure(rows)
        rows_out.append((rows, groups, assay_s, fairlearn_s, worst))
        print(f"{rows:>10,} rows: Assay {assay_s:.3f} s, fairlearn {fairlearn_s:.2f} s, "
              f"{fairlearn_s / assay_s:.0f}x, max |difference| {worst:.1e}", flush=True)

    lines = [f"## Fairness metrics vs fairlearn MetricFrame — {dt.date.today().isoformat()}", "",
             f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}; Python "
             f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
             f"fairlearn {fairlearn.__version__}; CPU only. Selection rate, TPR, FPR per "
             "group for 3 attributes and their intersection, plus the between-group "
             "demographic parity difference. Assay: best of 3; fairlearn: one run.", "",
             "| rows | groups | Assay s | fairlearn s | speed-up | max abs difference |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {rows:,} | {groups} | {a:.3f} | {f:.2f} | {f / a:.0f}x | {w:.1e} |"
              for rows, groups, a, f, w in rows_out]
    publish("\n".join(lines) + "\n", record=not args.no_record)


if __name__ == "__main__":
    main()
