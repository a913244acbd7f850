"""Population stability (PSI) and Kolmogorov-Smirnov drift per feature.

PSI depends on how the reference is binned, so the recipe (binning, number of bins,
epsilon for empty bins) travels with every result. Bins come from the reference only;
comparison values outside the reference range fall into the outer bins and are counted
as out of range. Missing values are counted, not binned.
"""

from dataclasses import asdict, dataclass

import numpy as np

BANDS = ((0.1, "stable"), (0.25, "moderate shift"), (float("inf"), "significant shift"))


@dataclass(frozen=True)
class DriftRecipe:
    binning: str = "quantile"  # or "uniform"
    bins: int = 10
    epsilon: float = 1e-4  # replaces an empty bin's share, so log() stays finite

    def __post_init__(self):
        if self.binning not in ("quantile", "uniform"):
            raise ValueError("binning must be 'quantile' or 'uniform'")
        if self.bins < 2 or self.epsilon <= 0:
            raise ValueError("need at least 2 bins and a positive epsilon")


def band(psi: float) -> str:
    return next(label for limit, label in BANDS if psi < limit)


def bin_edges(values: np.ndarray, recipe: DriftRecipe) -> np.ndarray:
    """Edges from the reference's non-missing values."""
    if recipe.binning == "quantile":
        edges = np.quantile(values, np.linspace(0, 1, recipe.bins + 1))
    else:
        edges = np.linspace(values.min(), values.max(), recipe.bins + 1)
    return np.unique(edges)  # ties (e.g. a binary feature) merge bins


def psi(reference: np.ndarray, comparison: np.ndarray, recipe: DriftRecipe) -> dict:
    ref, cmp_ = reference[~np.isnan(reference)], comparison[~np.isnan(comparison)]
    edges = bin_edges(ref, recipe)
    inner = edges[1:-1]
    # Right-closed inner edges; values beyond the reference range go to the outer bins.
    ref_counts = np.bincount(np.searchsorted(inner, ref, side="left"), minlength=len(edges) - 1)
    cmp_counts = np.bincount(np.searchsorted(inner, cmp_, side="left"), minlength=len(edges) - 1)
    ref_share = np.maximum(ref_counts / max(len(ref), 1), recipe.epsilon)
    cmp_share = np.maximum(cmp_counts / max(len(cmp_), 1), recipe.epsilon)
    value = float(np.sum((cmp_share - ref_share) * np.log(cmp_share / ref_share)))
    return {"psi": value, "band": band(value), "edges": edges.tolist(),
            "reference_counts": ref_counts.tolist(), "comparison_counts": cmp_counts.tolist(),
            "out_of_range": int(np.sum((cmp_ < edges[0]) | (cmp_ > edges[-1])))}


def ks(reference: np.ndarray, comparison: np.ndarray) -> float:
    """Two-sample KS statistic: the largest gap between the empirical CDFs."""
    return ks_sorted(np.sort(reference[~np.isnan(reference)]),
                     np.sort(comparison[~np.isnan(comparison)]))


def ks_sorted(ref: np.ndarray, cmp_: np.ndarray) -> float:
    """KS of two already sorted samples without missing values."""
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


def drift_report(reference: dict[str, np.ndarray], comparison: dict[str, np.ndarray],
                 recipe: DriftRecipe | None = None) -> dict:
    """PSI, KS, missing counts and schema differences for every shared numeric feature."""
    recipe = recipe or DriftRecipe()
    shared = [name for name in reference if name in comparison]
    features = {}
    for name in shared:
        ref = np.asarray(reference[name], dtype=np.float64)
        cmp_ = np.asarray(comparison[name], dtype=np.float64)
        ref_sorted = np.sort(ref[~np.isnan(ref)])
        cmp_sorted = np.sort(cmp_[~np.isnan(cmp_)])
        # Sorted once: quantiles, bins and KS all read the same sorted arrays.
        result = psi(ref_sorted, cmp_sorted, recipe)
        result |= {"ks": ks_sorted(ref_sorted, cmp_sorted),
                   "missing_reference": int(np.isnan(ref).sum()),
                   "missing_comparison": int(np.isnan(cmp_).sum())}
        features[name] = result
    return {"recipe": asdict(recipe), "features": features,
            "only_in_reference": sorted(set(reference) - set(comparison)),
            "only_in_comparison": sorted(set(comparison) - set(reference))}
