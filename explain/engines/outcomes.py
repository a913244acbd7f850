"""Performance evidence for regression models (LGD, EAD, income) and multiclass models
(rating grades, collections segments); binary classifiers are in ``performance``.

Regression: RMSE, MAE, R-squared (scikit-learn's definitions), Somers' D of the observed
value on the prediction (the "Gini" of a continuous target: (concordant - discordant)
pairs over the pairs not tied on the prediction; scipy's ``somersd(predicted,
observed)``), and calibration by decile of the prediction: mean predicted against mean
observed, with bootstrap intervals of the observed mean.

Multiclass: probabilities ``[n, k]`` in the model's class order; one-vs-rest AUC per class
and their macro average (scikit-learn's ``roc_auc_score(multi_class="ovr")``), log loss,
accuracy and the confusion matrix of the decided (most probable) class.
"""

import numpy as np
from scipy.stats import kendalltau

from explain.engines.performance import SHOWN_ROWS, auc

_CLIP = 1e-15


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    return ", ".join(str(row) for row in rows[:SHOWN_ROWS]) + more


def _check_regression(y_true, predicted) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("the target and the predictions must be 1-D and of equal length")
    if len(y) < 2:
        raise ValueError("regression performance needs at least two rows")
    for name, values in (("target", y), ("prediction", p)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} of {len(values)} {name} values are missing or "
                             f"infinite: rows {_rows(bad)}")
    return y, p


def somers_d(predicted: np.ndarray, observed: np.ndarray) -> float:
    """Somers' D(observed | predicted) in O(n log n): Kendall's tau-b rescaled by the
    pairs tied on each side (tau_b = (P - Q) / sqrt((n0 - n1)(n0 - n2)))."""
    n0 = len(predicted) * (len(predicted) - 1) / 2

    def tied_pairs(values: np.ndarray) -> float:
        counts = np.unique(values, return_counts=True)[1].astype(np.float64)
        return float(np.sum(counts * (counts - 1) / 2))

    untied_predicted, untied_observed = n0 - tied_pairs(predicted), n0 - tied_pairs(observed)
    if untied_predicted == 0 or untied_observed == 0:
        return float("nan")  # a constant prediction or target orders nothing
    tau = kendalltau(predicted, observed).statistic
    return float(tau * np.sqrt(untied_observed / untied_predicted))


def error_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R-squared (scikit-learn's definitions)."""
    error = p - y
    squared = float(np.dot(error, error))
    centred = y - y.mean()
    total = float(np.dot(centred, centred))
    return {"rmse": float(np.sqrt(squared / len(y))), "mae": float(np.mean(np.abs(error))),
            "r2": 1 - squared / total if total > 0 else float("nan")}


def regression_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return error_metrics(y, p) | {"somers_d": somers_d(p, y),
                                  "mean_predicted": float(p.mean()),
                                  "mean_observed": float(y.mean())}


def decile_calibration(y: np.ndarray, p: np.ndarray, *, bins: int = 10, n_boot: int = 0,
                       seed: int = 0, level: float = 0.95) -> list[dict]:
    """Bins of equal size by the prediction: mean predicted against mean observed, with a
    percentile bootstrap interval of the observed mean (rows resampled within the bin)."""
    order = np.argsort(p, kind="stable")
    rng = np.random.default_rng(seed)
    low, high = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    table = []
    for index, chunk in enumerate(np.array_split(order, bins)):
        if not len(chunk):
            continue
        row: dict = {"bin": index + 1, "count": len(chunk),
               "mean_predicted": float(p[chunk].mean()),
               "mean_observed": float(y[chunk].mean()),
               "min_prediction": float(p[chunk].min()),
               "max_prediction": float(p[chunk].max()), "observed_interval": None}
        if n_boot:
            draws = rng.integers(0, len(chunk), (n_boot, len(chunk)))
            means = y[chunk][draws].mean(axis=1)
            row["observed_interval"] = [float(np.percentile(means, low)),
                                        float(np.percentile(means, high))]
        table.append(row)
    return table


def regression_report(y_true, predicted, *, n_boot: int = 0, seed: int = 0,
                      level: float = 0.95, calibration_bins: int = 10) -> dict:
    y, p = _check_regression(y_true, predicted)
    report: dict = {"objective": "regression", "rows": len(y),
                    "metrics": regression_metrics(y, p),
                    "calibration": decile_calibration(y, p, bins=calibration_bins,
                                                      n_boot=n_boot, seed=seed, level=level),
                    "intervals": {}}
    if n_boot:
        rng = np.random.default_rng(seed)
        samples: dict[str, list[float]] = {"rmse": [], "mae": [], "r2": []}
        for _ in range(n_boot):
            rows = rng.integers(0, len(y), len(y))
            for name, value in error_metrics(y[rows], p[rows]).items():
                samples[name].append(value)
        low, high = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        report["intervals"] = {name: [float(np.nanpercentile(values, low)),
                                      float(np.nanpercentile(values, high))]
                               for name, values in samples.items()}
    return report


# ---- multiclass ------------------------------------------------------------------------------

def _check_multiclass(y_true, probabilities, classes) -> tuple[np.ndarray, np.ndarray, list]:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError("multiclass probabilities must be [rows, classes] with two or more "
                         "classes")
    classes = list(classes) if classes is not None else list(range(p.shape[1]))
    if len(classes) != p.shape[1]:
        raise ValueError(f"{len(classes)} class labels for {p.shape[1]} probability columns")
    labels = np.asarray(y_true)
    if len(labels) != len(p) or not len(p):
        raise ValueError("the target and the probabilities must have the same, non-zero "
                         "number of rows")
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(p) | (p < 0) | (p > 1)).any(axis=1) | \
            (np.abs(p.sum(axis=1) - 1) > 1e-6)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} of {len(p)} rows of probabilities are not a "
                         f"distribution (missing, outside [0, 1] or not summing to 1): rows "
                         f"{_rows(bad)}")
    lookup = {str(label): index for index, label in enumerate(classes)}
    codes = np.array([lookup.get(str(label), -1) for label in labels.tolist()])
    if (codes < 0).any():
        unknown = sorted({str(label) for label in labels[codes < 0].tolist()})[:SHOWN_ROWS]
        raise ValueError(f"{int((codes < 0).sum())} target values are not classes of the "
                         f"model ({', '.join(classes_as_text(classes))}): "
                         f"{', '.join(unknown)}")
    return codes, p, classes


def classes_as_text(classes: list) -> list[str]:
    return [str(label) for label in classes]


def multiclass_report(y_true, probabilities, classes=None) -> dict:
    """``y_true``: class labels; ``probabilities``: [n, k] in the order of ``classes``."""
    codes, p, classes = _check_multiclass(y_true, probabilities, classes)
    k = len(classes)
    per_class = []
    for index, label in enumerate(classes):
        positive = (codes == index).astype(np.int64)
        count = int(positive.sum())
        area = auc(positive, p[:, index]) if 0 < count < len(codes) else float("nan")
        per_class.append({"class": str(label), "count": count, "auc_one_vs_rest": area,
                          "mean_probability": float(p[:, index].mean())})
    aucs = np.array([row["auc_one_vs_rest"] for row in per_class])
    decided = np.argmax(p, axis=1)
    confusion = np.bincount(codes * k + decided, minlength=k * k).reshape(k, k)
    chosen = np.clip(p[np.arange(len(codes)), codes], _CLIP, 1.0)
    return {"objective": "multiclass", "rows": len(codes), "classes": classes_as_text(classes),
            "metrics": {"auc_macro_ovr": float(aucs.mean()) if not np.isnan(aucs).any()
                        else float("nan"),
                        "log_loss": float(-np.mean(np.log(chosen))),
                        "accuracy": float(np.mean(decided == codes))},
            "per_class": per_class,
            "confusion": {"rows_true_columns_decided": confusion.tolist(),
                          "by_actual_class": [{"actual": str(label), "decided": row}
                                              for label, row in zip(classes,
                                                                    confusion.tolist(),
                                                                    strict=True)]}}

