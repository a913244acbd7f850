"""Population stability (PSI) and Kolmogorov-Smirnov drift per feature.

PSI depends on how the reference is binned, so the recipe (binning, number of bins,
epsilon for empty bins, the category threshold) travels with every result.

- Numeric columns with many distinct values: ``bins`` quantile (or uniform) bins from the
  reference's finite values. The inner edges are right-closed and the outer bins are open
  at both ends, so comparison values outside the reference range (and infinities) land in
  the tails; they are also counted as out of range.
- Numeric columns with at most ``category_threshold`` distinct reference values (binary
  flags, counts, constants) and string/categorical columns: one bin per reference value.
  Comparison values the reference never had go to one extra "unseen" bin, counted and
  listed. (Quantile edges would merge the lowest value with the next one, so a 0/1
  column would get one bin and could never drift.)
- Missing values are counted, not binned. A feature that cannot be compared (no rows,
  all missing) gets ``psi`` and ``ks`` None and a status saying why; the rest of the
  report is still computed. KS is not defined for string/categorical columns (None).
"""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

BANDS = ((0.1, "stable"), (0.25, "moderate shift"), (float("inf"), "significant shift"))
SHOWN_UNSEEN = 10  # unseen category values listed in a result (all are counted)


@dataclass(frozen=True)
class DriftRecipe:
    binning: str = "quantile"  # or "uniform"
    bins: int = 10
    epsilon: float = 1e-4  # replaces an empty bin's share, so log() stays finite
    category_threshold: int = 10  # at most this many distinct values: one bin per value

    def __post_init__(self):
        if self.binning not in ("quantile", "uniform"):
            raise ValueError("binning must be 'quantile' or 'uniform'")
        if self.bins < 2 or self.epsilon <= 0:
            raise ValueError("need at least 2 bins and a positive epsilon")
        if self.category_threshold < 2:
            raise ValueError("category_threshold must be at least 2 (a binary column needs "
                             "one bin per value)")


def band(psi: float) -> str:
    return next(label for limit, label in BANDS if psi < limit)


def inner_edges(values: np.ndarray, recipe: DriftRecipe) -> np.ndarray:
    """Inner bin edges from the reference's sorted finite values; the outer bins are open."""
    if recipe.binning == "quantile":
        edges = np.quantile(values, np.linspace(0, 1, recipe.bins + 1))
    else:
        edges = np.linspace(values[0], values[-1], recipe.bins + 1)
    return np.unique(edges[1:-1])  # ties merge bins


def psi_from_counts(ref_counts: np.ndarray, cmp_counts: np.ndarray, epsilon: float) -> float:
    ref_share = np.maximum(ref_counts / max(int(ref_counts.sum()), 1), epsilon)
    cmp_share = np.maximum(cmp_counts / max(int(cmp_counts.sum()), 1), epsilon)
    return float(np.sum((cmp_share - ref_share) * np.log(cmp_share / ref_share)))


def _numeric_bins(ref: np.ndarray, cmp_: np.ndarray, recipe: DriftRecipe) -> dict:
    finite = ref[np.isfinite(ref)]
    edges = inner_edges(finite, recipe) if len(finite) else np.array([])
    bins = len(edges) + 1
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=bins)
    cmp_counts = np.bincount(np.searchsorted(edges, cmp_, side="left"), minlength=bins)
    return {"binning": recipe.binning, "edges": edges.tolist(),
            "reference_counts": ref_counts.tolist(), "comparison_counts": cmp_counts.tolist(),
            "psi": psi_from_counts(ref_counts, cmp_counts, recipe.epsilon)}


def _category_bins(ref, cmp_, recipe: DriftRecipe) -> dict:
    """One bin per reference value (sorted), plus an "unseen" bin when the comparison has
    values the reference never had. Counted by hashing (pandas' value_counts), so strings
    are never sorted row by row."""
    ref_found = (ref if isinstance(ref, pd.Series) else pd.Series(ref)).value_counts(sort=False)
    categories = np.sort(ref_found.index.to_numpy())
    ref_counts = ref_found.reindex(categories).to_numpy(np.int64)
    cmp_found = (cmp_ if isinstance(cmp_, pd.Series) else pd.Series(cmp_)).value_counts(
        sort=False)
    seen = cmp_found.index.isin(categories)
    cmp_counts = cmp_found[seen].reindex(categories, fill_value=0).to_numpy(np.int64)
    unseen_found = cmp_found[~seen].sort_values(ascending=False, kind="stable")
    unseen = int(unseen_found.sum())
    if unseen:
        ref_counts, cmp_counts = np.append(ref_counts, 0), np.append(cmp_counts, unseen)
    return {"binning": "category", "categories": [_plain(c) for c in categories],
            "reference_counts": ref_counts.tolist(), "comparison_counts": cmp_counts.tolist(),
            "unseen": unseen, "unseen_values": {str(_plain(value)): int(count) for value, count
                                                in unseen_found.head(SHOWN_UNSEEN).items()},
            "psi": psi_from_counts(ref_counts, cmp_counts, recipe.epsilon)}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def psi(reference: np.ndarray, comparison: np.ndarray, recipe: DriftRecipe) -> dict:
    """PSI of two numeric samples (missing values dropped) with the recipe's binning."""
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    cmp_ = np.sort(np.asarray(comparison, dtype=np.float64))
    ref, cmp_ = ref[~np.isnan(ref)], cmp_[~np.isnan(cmp_)]
    distinct = int(np.count_nonzero(ref[1:] != ref[:-1])) + 1 if len(ref) else 0
    if distinct <= recipe.category_threshold:
        result = _category_bins(ref, cmp_, recipe)
    else:
        result = _numeric_bins(ref, cmp_, recipe)
    return result | {"band": band(result["psi"]), "out_of_range": _out_of_range(ref, cmp_)}


def _out_of_range(ref: np.ndarray, cmp_: np.ndarray) -> int:
    finite = ref[np.isfinite(ref)]
    if not len(finite):
        return 0
    return int(np.sum((cmp_ < finite[0]) | (cmp_ > finite[-1])))


def ks(reference: np.ndarray, comparison: np.ndarray) -> float:
    """Two-sample KS statistic: the largest gap between the empirical CDFs."""
    return ks_sorted(np.sort(reference[~np.isnan(reference)]),
                     np.sort(comparison[~np.isnan(comparison)]))


def ks_sorted(ref: np.ndarray, cmp_: np.ndarray) -> float:
    """KS of two already sorted, non-empty samples without missing values."""
    if not len(ref) or not len(cmp_):
        raise ValueError("KS needs at least one value in each sample")
    # Merge the two sorted runs (a stable sort of two runs is a linear merge), walk the
    # CDF difference with a cumulative sum, and read it where a run of equal values ends.
    values = np.concatenate([ref, cmp_])
    order = np.argsort(values, kind="stable")
    # Integer steps (n2 up, n1 down) keep the running sum exact; divide once at the end.
    steps = np.where(order < len(ref), len(cmp_), -len(ref)).astype(np.int64)
    gap = np.cumsum(steps)
    merged = values[order]
    run_ends = np.append(merged[1:] != merged[:-1], True)
    return float(np.max(np.abs(gap[run_ends]))) / (len(ref) * len(cmp_))


def is_categorical(values) -> bool:
    """String, object, boolean and pandas category columns are compared per category."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        dtype = np.asarray(values).dtype
    return isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def _undefined(status: str, note: str, **counts) -> dict:
    return {"status": status, "note": note, "psi": None, "band": None, "ks": None, **counts}


def feature_drift(reference, comparison, recipe: DriftRecipe) -> dict:
    """PSI, KS, counts and a status for one feature; never raises on bad data."""
    if is_categorical(reference) or is_categorical(comparison):
        return _categorical_feature(reference, comparison, recipe)
    ref = np.asarray(reference, dtype=np.float64)
    cmp_ = np.asarray(comparison, dtype=np.float64)
    ref_missing, cmp_missing = np.isnan(ref), np.isnan(cmp_)
    counts = {"missing_reference": int(ref_missing.sum()),
              "missing_comparison": int(cmp_missing.sum())}
    blocked = _blocked(len(ref), len(cmp_), counts)
    if blocked:
        return blocked
    ref_sorted, cmp_sorted = np.sort(ref[~ref_missing]), np.sort(cmp_[~cmp_missing])
    nonfinite = int(np.isinf(ref_sorted).sum() + np.isinf(cmp_sorted).sum())
    result = psi(ref_sorted, cmp_sorted, recipe)
    result |= {"ks": ks_sorted(ref_sorted, cmp_sorted), **counts,
               "nonfinite_reference": int(np.isinf(ref_sorted).sum()),
               "nonfinite_comparison": int(np.isinf(cmp_sorted).sum()),
               "status": f"non-finite values: {nonfinite}" if nonfinite else "ok",
               "note": "infinities are counted in the open outer bins" if nonfinite else ""}
    return result


def _blocked(ref_rows: int, cmp_rows: int, counts: dict) -> dict | None:
    """The status of a feature that cannot be compared, or None."""
    for side, rows, missing in (("reference", ref_rows, counts["missing_reference"]),
                                ("comparison", cmp_rows, counts["missing_comparison"])):
        if rows == 0:
            return _undefined("no rows", f"the {side} data have no rows", **counts)
        if missing == rows:
            return _undefined("all missing", f"every {side} value is missing", **counts)
    return None


def _as_text(values: pd.Series) -> pd.Series:
    """Category values as text, so 1 and "1" are one category; strings are kept as they
    are (no copy)."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        return values
    return values.astype(str)


def _categorical_feature(reference, comparison, recipe: DriftRecipe) -> dict:
    # Object dtype: no conversion to pandas' string arrays, values are hashed as they are.
    ref, cmp_ = pd.Series(reference, dtype=object), pd.Series(comparison, dtype=object)
    ref_missing, cmp_missing = ref.isna().to_numpy(), cmp_.isna().to_numpy()
    counts = {"missing_reference": int(ref_missing.sum()),
              "missing_comparison": int(cmp_missing.sum())}
    blocked = _blocked(len(ref), len(cmp_), counts)
    if blocked:
        return blocked
    result = _category_bins(_as_text(ref[~ref_missing]), _as_text(cmp_[~cmp_missing]), recipe)
    return result | {"band": band(result["psi"]), "ks": None, "out_of_range": result["unseen"],
                     **counts, "status": "ok",
                     "note": "categorical column: one bin per category, KS not defined"}


def drift_report(reference: dict, comparison: dict, recipe: DriftRecipe | None = None) -> dict:
    """PSI, KS, missing counts, a status per shared feature and schema differences."""
    recipe = recipe or DriftRecipe()
    features = {name: feature_drift(reference[name], comparison[name], recipe)
                for name in reference if name in comparison}
    return {"recipe": asdict(recipe), "features": features,
            "only_in_reference": sorted(set(reference) - set(comparison)),
            "only_in_comparison": sorted(set(comparison) - set(reference))}
