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

Undefined rates (a group with no positives has no TPR) follow the recipe's
``undefined_rates``: ``exclude`` (the default) reports them as undefined (NaN) and leaves
the group out of that rate's disparity; ``zero`` is fairlearn's convention (the rate is
scored 0 and kept), and with it the results equal fairlearn's to 1e-9.

The four-fifths rule compares each group's selection rate with the reference group's:
the most-favoured group among those with at least ``min_reference_size`` rows (smaller
groups are shown but never the reference). The comparison is exact, by integer
cross-multiplication (5 * selected_i * n_ref < 4 * n_i * selected_ref), so a ratio of
exactly 4/5 is not flagged. Beside every ratio: a significance test of the two
selection rates (Fisher's exact test when any cell of the 2x2 table is below 30, the
pooled two-proportion z-test otherwise). A group shows "adverse impact" only when both
the ratio is below four-fifths and the test is significant.
"""

import itertools
import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

FOUR_FIFTHS = Fraction(4, 5)
RATES = ("selection_rate", "tpr", "fpr", "ppv")
UNDEFINED_RATES = ("exclude", "zero")
UNDEFINED_REASONS = {"tpr": "no positives in group", "fpr": "no negatives in group",
                     "ppv": "no favourable decisions in group"}
FISHER_BELOW = 30  # any 2x2 cell below this: Fisher's exact test instead of the z-test


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


def rates(counts: np.ndarray, undefined_rates: str = "exclude") -> dict[str, np.ndarray]:
    """Rates per row of a [..., 4] count array; an undefined rate (empty denominator) is
    NaN with ``exclude`` and 0 with ``zero`` (fairlearn's convention)."""
    if undefined_rates not in UNDEFINED_RATES:
        raise ValueError(f"undefined_rates must be one of {', '.join(UNDEFINED_RATES)}")
    counts = counts.astype(np.float64)
    tn, fp, fn, tp = counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        result = {
            "selection_rate": (fp + tp) / (tn + fp + fn + tp),
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
            "ppv": tp / (tp + fp),
        }
    if undefined_rates == "zero":
        result = {name: np.nan_to_num(values, nan=0.0) for name, values in result.items()}
    return result


def _between(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max - min, min / max) over the last axis, ignoring NaN groups."""
    with np.errstate(all="ignore"):
        defined = ~np.isnan(values).all(axis=-1)
        filled = np.where(defined[..., None], values, 0.0)
        high = np.where(defined, np.nanmax(filled, axis=-1), np.nan)
        low = np.where(defined, np.nanmin(filled, axis=-1), np.nan)
        return high - low, np.where(high > 0, low / high, np.nan)


def disparities(counts: np.ndarray, undefined_rates: str = "exclude") -> dict[str, np.ndarray]:
    """Fairlearn's between-group disparities for [..., n_groups, 4] counts."""
    r = rates(counts, undefined_rates)
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


def _to_overall(counts: np.ndarray, undefined_rates: str) -> dict[str, float | None]:
    """Largest gap between a group's rate and the overall rate (fairlearn's to_overall)."""
    per_group, overall = rates(counts, undefined_rates), rates(counts.sum(axis=0),
                                                                undefined_rates)
    result: dict[str, float | None] = {}
    for name in ("selection_rate", "tpr", "fpr"):
        gaps = np.abs(per_group[name] - overall[name])
        result[f"{name}_max_gap_to_overall"] = None if np.isnan(gaps).all() else \
            float(np.nanmax(gaps))
    return result


BOOTSTRAP_BATCH = 500  # resamples drawn between two cooperative checks


def bootstrap(counts: np.ndarray, n_boot: int, seed: int, level: float = 0.95,
              check=None, undefined_rates: str = "exclude") -> dict:
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
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: no interval
        for name, values in rates(draws, undefined_rates).items():
            intervals[name] = np.nanpercentile(values, [lo, hi], axis=0).T.tolist()
        for name, values in disparities(draws, undefined_rates).items():
            intervals[name] = np.nanpercentile(values, [lo, hi]).tolist()
    return intervals


def selection_test(selected: int, n: int, ref_selected: int, ref_n: int) -> dict:
    """Two-sided test that a group's selection rate equals the reference group's:
    Fisher's exact test when any cell of the 2x2 table is below 30, else the pooled
    two-proportion z-test."""
    from scipy.stats import fisher_exact, norm

    table = [[selected, n - selected], [ref_selected, ref_n - ref_selected]]
    if min(min(row) for row in table) < FISHER_BELOW:
        return {"test": "Fisher's exact test", "statistic": None,
                "p_value": float(fisher_exact(table)[1])}
    pooled = (selected + ref_selected) / (n + ref_n)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / ref_n))
    if error == 0:
        return {"test": "two-proportion z-test", "statistic": 0.0, "p_value": 1.0}
    z = (selected / n - ref_selected / ref_n) / error
    return {"test": "two-proportion z-test", "statistic": float(z),
            "p_value": float(2 * norm.sf(abs(z)))}


def four_fifths(table: GroupTable, min_reference_size: int, alpha: float) -> tuple[
        int | None, list[dict]]:
    """(reference group index or None, per-group four-fifths results), exact."""
    totals = table.counts.sum(axis=1).astype(int)
    selected = (table.counts[:, 1] + table.counts[:, 3]).astype(int)
    eligible = [i for i in range(len(totals)) if totals[i] >= min_reference_size]
    if not eligible:
        return None, [{"selection_rate_ratio_to_reference": None, "ratio_fraction": None,
                       "four_fifths_flag": False, "test": None, "p_value": None,
                       "significant": False, "adverse_impact": False} for _ in totals]
    reference = max(eligible, key=lambda i: Fraction(int(selected[i]), int(totals[i])))
    ref_selected, ref_n = int(selected[reference]), int(totals[reference])
    results: list[dict] = []
    for index in range(len(totals)):
        chosen, n = int(selected[index]), int(totals[index])
        if ref_selected == 0:  # nobody selected in the reference: no ratio
            results.append({"selection_rate_ratio_to_reference": None, "ratio_fraction": None,
                            "four_fifths_flag": False, "test": None, "p_value": None,
                            "significant": False, "adverse_impact": False})
            continue
        numerator, denominator = chosen * ref_n, n * ref_selected
        flag = 5 * numerator < 4 * denominator  # exact: ratio < 4/5
        test = selection_test(chosen, n, ref_selected, ref_n) if index != reference else \
            {"test": None, "statistic": None, "p_value": None}
        significant = test["p_value"] is not None and test["p_value"] < alpha
        results.append({"selection_rate_ratio_to_reference": numerator / denominator,
                        "ratio_fraction": [numerator, denominator],
                        "four_fifths_flag": flag, "test": test["test"],
                        "p_value": test["p_value"], "significant": significant,
                        "adverse_impact": flag and significant})
    return reference, results


def fairness_report(y_true, y_pred, attributes: dict[str, np.ndarray], *,
                    scores=None, n_boot: int = 0, seed: int = 0,
                    undefined_rates: str = "exclude", min_reference_size: int = 30,
                    alpha: float = 0.05, check=None) -> FairnessResult:
    """Per-group rates and disparities for the combination of ``attributes``;
    with ``scores`` (probabilities) also each group's AUC."""
    names = tuple(attributes)
    columns = [attributes[name] for name in names]
    table = group_table(y_true, y_pred, columns)
    if not table.labels:
        raise ValueError("no rows to compare: the fairness report needs at least one row")
    group_rates = rates(table.counts, undefined_rates)
    raw_rates = rates(table.counts)
    aucs = group_auc(table, columns, y_true, scores) if scores is not None else None
    favoured = int(np.nanargmax(group_rates["selection_rate"]))
    reference, rules = four_fifths(table, min_reference_size, alpha)
    groups = []
    for index, label in enumerate(table.labels):
        undefined = {name: reason for name, reason in UNDEFINED_REASONS.items()
                     if np.isnan(raw_rates[name][index])}
        groups.append({"group": dict(zip(names, label, strict=True)),
                       "count": int(table.counts[index].sum()),
                       "selected": int(table.counts[index, 1] + table.counts[index, 3]),
                       **{name: float(group_rates[name][index]) for name in RATES},
                       "undefined": undefined,
                       "auc": float(aucs[index]) if aucs is not None else None,
                       "is_reference": index == reference,
                       "eligible_as_reference": int(table.counts[index].sum())
                       >= min_reference_size,
                       **rules[index]})
    summary: dict[str, object] = {
        name: float(value) for name, value in disparities(table.counts,
                                                          undefined_rates).items()}
    summary |= _to_overall(table.counts, undefined_rates)
    summary["undefined_rates"] = undefined_rates
    summary["most_favoured_group"] = dict(zip(names, table.labels[favoured], strict=True))
    summary["four_fifths"] = _four_fifths_summary(names, table, reference, rules,
                                                  min_reference_size, alpha)
    intervals = bootstrap(table.counts, n_boot, seed, check=check,
                          undefined_rates=undefined_rates) if n_boot else {}
    return FairnessResult(names, groups, summary, intervals)


def _four_fifths_summary(names, table: GroupTable, reference: int | None, rules: list[dict],
                         min_reference_size: int, alpha: float) -> dict:
    """The lowest ratio to the reference (exact fraction too) and the adverse-impact groups,
    what the deploy gate reads."""
    ratios = [(Fraction(*rule["ratio_fraction"]), index) for index, rule in enumerate(rules)
              if rule["ratio_fraction"] is not None]
    lowest = min(ratios) if ratios else None
    return {
        "reference_group": None if reference is None else
        dict(zip(names, table.labels[reference], strict=True)),
        "min_reference_size": min_reference_size, "alpha": alpha,
        "lowest_ratio": None if lowest is None else float(lowest[0]),
        "lowest_ratio_fraction": None if lowest is None else
        rules[lowest[1]]["ratio_fraction"],
        "lowest_ratio_group": None if lowest is None else
        dict(zip(names, table.labels[lowest[1]], strict=True)),
        "adverse_impact_groups": [dict(zip(names, table.labels[i], strict=True))
                                  for i, rule in enumerate(rules) if rule["adverse_impact"]],
        "note": None if reference is not None else
        f"no group has {min_reference_size} rows or more, so no reference group",
    }
