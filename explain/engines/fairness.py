"""Group fairness metrics, vectorised, with fairlearn's definitions.

Everything is computed from one table of counts per (group, y_true, y_pred) cell,
built with a single ``np.bincount``; the bootstrap resamples those cell counts
(a multinomial draw is the same as resampling rows for count-based metrics), so its
cost does not grow with the number of rows. No Django, no pandas needed by callers.

Definitions (fairlearn 0.13, ``MetricFrame`` and ``fairlearn.metrics``):
selection rate = P(pred=1); TPR = P(pred=1 | y=1); FPR = P(pred=1 | y=0);
PPV = P(y=1 | pred=1); demographic parity difference/ratio = max-min / min÷max of the
selection rates between groups; equalized odds difference = max(TPR diff, FPR diff),
ratio = min(TPR ratio, FPR ratio); equal opportunity difference = TPR difference.
A rate with an empty denominator is NaN; the four-fifths rule flags a selection-rate
ratio below 0.8 against the most-favoured group.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FOUR_FIFTHS = 0.8
RATES = ("selection_rate", "tpr", "fpr", "ppv")


@dataclass(frozen=True)
class GroupTable:
    """Per-group counts: columns are the cells (y=0,p=0), (0,1), (1,0), (1,1)."""

    labels: list[tuple[str, ...]]
    counts: np.ndarray  # shape [n_groups, 4]
    codes: np.ndarray  # each group's combination code


@dataclass
class FairnessResult:
    attributes: tuple[str, ...]
    groups: list[dict]
    summary: dict
    confidence_intervals: dict = field(default_factory=dict)


def _factorize(column) -> tuple[np.ndarray, np.ndarray]:
    """(codes, labels) with sorted labels; categorical columns reuse their codes."""
    if isinstance(getattr(column, "dtype", None), pd.CategoricalDtype):
        categorical = column.cat.remove_unused_categories().cat.as_ordered()
        order = np.argsort(np.asarray(categorical.cat.categories).astype(str))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes = np.asarray(categorical.cat.codes)
        labels = np.asarray(categorical.cat.categories).astype(str)[order]
        if (codes < 0).any():
            raise ValueError(_MISSING)
        return rank[codes], labels
    codes, labels = pd.factorize(np.asarray(column), sort=True)
    if (codes < 0).any():
        raise ValueError(_MISSING)
    return codes, np.asarray(labels).astype(str)


_MISSING = ("protected attribute values must not be missing; map them to an explicit "
            "'unknown' group first")


def group_table(y_true: np.ndarray, y_pred: np.ndarray, attributes: list) -> GroupTable:
    y_true = np.asarray(y_true).astype(np.int64, copy=False)
    y_pred = np.asarray(y_pred).astype(np.int64, copy=False)
    for values in (y_true, y_pred):
        if len(values) and (values.min() < 0 or values.max() > 1):
            raise ValueError("y_true and y_pred must be 0/1")
    combination, label_sets = _combinations(attributes, len(y_true))
    size = int(np.prod([len(labels) for labels in label_sets]))
    cells = np.bincount(combination * 4 + y_true * 2 + y_pred, minlength=size * 4)
    counts = cells.reshape(size, 4)
    present = np.flatnonzero(counts.sum(axis=1))
    names = [tuple(str(label) for label in combo) for combo in itertools.product(*label_sets)]
    return GroupTable([names[i] for i in present], counts[present], present)


def _combinations(attributes: list, n: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """One code per combination of attribute values (the intersection); a bincount over
    (combination, y_true, y_pred) then counts every cell at once."""
    combination = np.zeros(n, dtype=np.int64)
    label_sets = []
    for column in attributes:
        codes, labels = _factorize(column)
        combination = combination * len(labels) + codes
        label_sets.append(labels)
    return combination, label_sets


def bin_attribute(values, edges: list[float], labels: list[str] | None = None) -> np.ndarray:
    """Bin a continuous attribute (age) by a stored recipe: right-open intervals
    [edge_i, edge_i+1); values outside the edges fall into the outer bins."""
    edges = [float(edge) for edge in edges]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError("bin edges must be at least two increasing numbers")
    labels = labels or [f"{_edge(a)}-{_edge(b)}" for a, b in zip(edges, edges[1:], strict=False)]
    if len(labels) != len(edges) - 1:
        raise ValueError("give one label per bin (len(edges) - 1)")
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError(_MISSING)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(labels) - 1)
    return np.asarray(labels, dtype=object)[index]


def _edge(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def group_auc(table: GroupTable, attributes: list, y_true, scores) -> np.ndarray:
    """AUC within each group of ``table``; NaN where a group has one class only."""
    from explain.engines.performance import auc

    y_true = np.asarray(y_true).astype(np.int64, copy=False)
    scores = np.asarray(scores, dtype=np.float64)
    combination, _ = _combinations(attributes, len(y_true))
    order = np.argsort(combination, kind="stable")
    bounds = np.searchsorted(combination[order], np.append(table.codes, table.codes + 1))
    result = np.full(len(table.codes), np.nan)
    for index in range(len(table.codes)):
        rows = order[bounds[index]:bounds[len(table.codes) + index]]
        if 0 < y_true[rows].sum() < len(rows):
            result[index] = auc(y_true[rows], scores[rows])
    return result


def rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Rates per row of a [..., 4] count array; NaN where undefined."""
    counts = counts.astype(np.float64)
    tn, fp, fn, tp = counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": (fp + tp) / (tn + fp + fn + tp),
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
            "ppv": tp / (tp + fp),
        }


def _between(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max - min, min / max) over the last axis, ignoring NaN groups."""
    high, low = np.nanmax(values, axis=-1), np.nanmin(values, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return high - low, np.where(high > 0, low / high, np.nan)


def disparities(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Fairlearn's between-group disparities for [..., n_groups, 4] counts."""
    r = rates(counts)
    dp_diff, dp_ratio = _between(r["selection_rate"])
    tpr_diff, tpr_ratio = _between(r["tpr"])
    fpr_diff, fpr_ratio = _between(r["fpr"])
    return {
        "demographic_parity_difference": dp_diff,
        "demographic_parity_ratio": dp_ratio,
        "equalized_odds_difference": np.maximum(tpr_diff, fpr_diff),
        "equalized_odds_ratio": np.minimum(tpr_ratio, fpr_ratio),
        "equal_opportunity_difference": tpr_diff,
    }


def _to_overall(counts: np.ndarray) -> dict[str, float]:
    """Largest gap between a group's rate and the overall rate (fairlearn's to_overall)."""
    per_group, overall = rates(counts), rates(counts.sum(axis=0))
    return {f"{name}_max_gap_to_overall": float(np.nanmax(np.abs(per_group[name] -
                                                                 overall[name])))
            for name in ("selection_rate", "tpr", "fpr")}


BOOTSTRAP_BATCH = 500  # resamples drawn between two cooperative checks


def bootstrap(counts: np.ndarray, n_boot: int, seed: int, level: float = 0.95,
              check=None) -> dict:
    """Percentile intervals for every group rate and disparity, resampling the rows.
    Drawn in batches (the same numbers as one draw) with ``check()`` between them."""
    rng = np.random.default_rng(seed)
    flat = counts.reshape(-1)
    n = int(flat.sum())
    batches = []
    for start in range(0, n_boot, BOOTSTRAP_BATCH):
        if check is not None:
            check()
        batches.append(rng.multinomial(n, flat / n, size=min(BOOTSTRAP_BATCH, n_boot - start)))
    draws = np.concatenate(batches).reshape(n_boot, *counts.shape)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    intervals: dict = {}
    with np.errstate(all="ignore"):
        for name, values in rates(draws).items():
            intervals[name] = np.nanpercentile(values, [lo, hi], axis=0).T.tolist()
        for name, values in disparities(draws).items():
            intervals[name] = np.nanpercentile(values, [lo, hi]).tolist()
    return intervals


def fairness_report(y_true, y_pred, attributes: dict[str, np.ndarray], *,
                    scores=None, n_boot: int = 0, seed: int = 0,
                    check=None) -> FairnessResult:
    """Per-group rates and disparities for the combination of ``attributes``;
    with ``scores`` (probabilities) also each group's AUC."""
    names = tuple(attributes)
    columns = [attributes[name] for name in names]
    table = group_table(y_true, y_pred, columns)
    group_rates = rates(table.counts)
    aucs = group_auc(table, columns, y_true, scores) if scores is not None else None
    favoured = int(np.nanargmax(group_rates["selection_rate"]))
    top = group_rates["selection_rate"][favoured]
    groups = []
    for index, label in enumerate(table.labels):
        selection = group_rates["selection_rate"][index]
        ratio = float(selection / top) if top > 0 else float("nan")
        groups.append({"group": dict(zip(names, label, strict=True)),
                       "count": int(table.counts[index].sum()),
                       **{name: float(group_rates[name][index]) for name in RATES},
                       "auc": float(aucs[index]) if aucs is not None else None,
                       "selection_rate_ratio_to_favoured": ratio,
                       "four_fifths_flag": bool(ratio < FOUR_FIFTHS)})
    summary: dict[str, object] = {name: float(value)
                                  for name, value in disparities(table.counts).items()}
    summary |= _to_overall(table.counts)
    summary["most_favoured_group"] = dict(zip(names, table.labels[favoured], strict=True))
    intervals = bootstrap(table.counts, n_boot, seed, check=check) if n_boot else {}
    return FairnessResult(names, groups, summary, intervals)
