"""Discrimination and calibration evidence for a binary classifier.

AUC comes from the Mann-Whitney rank statistic (ties get average ranks), Gini = 2 AUC - 1,
KS = the largest gap between the score CDFs of the two classes. Bootstrap intervals
resample rows with a fixed seed, so a stored recipe reproduces them exactly.
"""

import numpy as np
from scipy.stats import rankdata

from explain.engines.drift import ks_sorted

_CLIP = 1e-15  # log loss of a 0 or 1 probability stays finite, as in scikit-learn


def _check(y_true: np.ndarray, probability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int64)
    p = np.asarray(probability, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("y_true and probability must be 1-D and of equal length")
    check_probabilities(p)
    if len(y) and (y.min() < 0 or y.max() > 1):
        raise ValueError("y_true must be 0/1")
    positives = int(y.sum())
    if positives in (0, len(y)):
        raise ValueError("AUC, Gini and KS need both classes; the target has only one")
    return y, p


SHOWN_ROWS = 10


def check_probabilities(p: np.ndarray) -> None:
    """Refuse probabilities that are missing, infinite or outside [0, 1], naming how many
    rows and which (the first ``SHOWN_ROWS`` positions)."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        rows = np.flatnonzero(bad)
        kinds = [f"{count} {label}" for count, label in (
            (int(np.isnan(p).sum()), "missing"), (int(np.isinf(p).sum()), "infinite"),
            (int(bad.sum() - np.isnan(p).sum() - np.isinf(p).sum()), "outside [0, 1]"))
            if count]
        shown = ", ".join(str(row) for row in rows[:SHOWN_ROWS])
        more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
        raise ValueError(f"{len(rows)} of {len(p)} probabilities are not usable "
                         f"({', '.join(kinds)}): rows {shown}{more}")


def auc(y: np.ndarray, p: np.ndarray) -> float:
    positives = y.sum()
    negatives = len(y) - positives
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Largest gap between the score distributions of the two classes."""
    return ks_sorted(np.sort(p[y == 1]), np.sort(p[y == 0]))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Deciles of the predicted probability: mean prediction vs observed rate."""
    order = np.argsort(p, kind="stable")
    table = []
    for index, chunk in enumerate(np.array_split(order, bins)):
        if len(chunk):
            table.append({"bin": index + 1, "count": len(chunk),
                          "mean_predicted": float(p[chunk].mean()),
                          "observed_rate": float(y[chunk].mean()),
                          "min_score": float(p[chunk].min()),
                          "max_score": float(p[chunk].max())})
    return table


def roc_points(y: np.ndarray, p: np.ndarray, max_points: int = 200) -> dict:
    """ROC curve (FPR, TPR) at every distinct score, thinned to about ``max_points``
    for charts; the end points (0, 0) and (1, 1) are always kept."""
    order = np.argsort(-p, kind="stable")
    scores, labels = p[order], y[order]
    distinct = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1)
    tps = np.cumsum(labels)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.concatenate([[0.0], tps / max(tps[-1], 1)])
    fpr = np.concatenate([[0.0], fps / max(fps[-1], 1)])
    keep = np.unique(np.linspace(0, len(tpr) - 1, min(max_points, len(tpr))).astype(int))
    return {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()}


def confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    predicted = p >= threshold
    return {"threshold": threshold,
            "true_negative": int(np.sum(~predicted & (y == 0))),
            "false_positive": int(np.sum(predicted & (y == 0))),
            "false_negative": int(np.sum(~predicted & (y == 1))),
            "true_positive": int(np.sum(predicted & (y == 1)))}


def point_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    clipped = np.clip(p, _CLIP, 1 - _CLIP)
    area = auc(y, p)
    return {"auc": area, "gini": 2 * area - 1, "ks": ks_statistic(y, p),
            "brier": float(np.mean((p - y) ** 2)),
            "log_loss": float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))}


BOOTSTRAP_BATCH = 25  # resamples between two cooperative checks


def performance_report(y_true, probability, *, threshold: float = 0.5, n_boot: int = 0,
                       seed: int = 0, level: float = 0.95, calibration_bins: int = 10,
                       check=None) -> dict:
    """``check`` (optional) is called between bootstrap batches; it raises to stop."""
    y, p = _check(y_true, probability)
    report: dict = {"rows": len(y), "positives": int(y.sum()),
                    "metrics": point_metrics(y, p),
                    "calibration": calibration_table(y, p, calibration_bins),
                    "roc": roc_points(y, p),
                    "confusion": confusion(y, p, threshold), "intervals": {}}
    if n_boot:
        rng = np.random.default_rng(seed)
        samples: dict[str, list[float]] = {name: [] for name in report["metrics"]}
        for index in range(n_boot):
            if check is not None and index % BOOTSTRAP_BATCH == 0:
                check()
            rows = rng.integers(0, len(y), len(y))
            if 0 < y[rows].sum() < len(rows):  # a one-class resample has no AUC
                for name, value in point_metrics(y[rows], p[rows]).items():
                    samples[name].append(value)
        low, high = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        report["intervals"] = {name: [float(np.percentile(values, low)),
                                      float(np.percentile(values, high))]
                               for name, values in samples.items()}
    return report
