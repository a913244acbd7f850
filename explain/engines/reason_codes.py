"""Adverse-action reason codes (ECOA / Reg B, GDPR Art. 22) from SHAP values.

For every declined applicant: the features whose contribution pushed the score toward
decline, largest first, at most ``max_reasons``, each mapped to the owner's
human-readable reason text. Excluded features (protected attributes, for instance)
never appear as reasons. A feature without a reason text is still given, marked
unmapped, so a gap in the owner's table is visible rather than silently dropped.
A missing input value is reported with the reason ("value missing").
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DECLINE_WHEN = ("score_above", "score_below")


@dataclass(frozen=True)
class ReasonRecipe:
    threshold: float = 0.5
    decline_when: str = "score_above"  # a PD model declines high default probability
    max_reasons: int = 4
    excluded: tuple[str, ...] = ()
    reason_texts: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.decline_when not in DECLINE_WHEN:
            raise ValueError(f"decline_when must be one of {', '.join(DECLINE_WHEN)}")
        if self.max_reasons < 1:
            raise ValueError("max_reasons must be at least 1")


def declined(score: np.ndarray, recipe: ReasonRecipe) -> np.ndarray:
    """Boolean mask; an unscored (NaN) row is never declined by the model."""
    with np.errstate(invalid="ignore"):
        if recipe.decline_when == "score_above":
            return np.asarray(score >= recipe.threshold) & ~np.isnan(score)
        return np.asarray(score < recipe.threshold) & ~np.isnan(score)


def reason_codes(values: np.ndarray, features: pd.DataFrame, score: np.ndarray,
                 recipe: ReasonRecipe) -> dict:
    """``values``: SHAP [n, f+1] (bias last) for the rows of ``features``; ``score`` the
    model output for the same rows. Returns per-applicant reasons and a summary."""
    names = list(features.columns)
    if values.shape != (len(features), len(names) + 1):
        raise ValueError("SHAP values and features do not line up")
    toward_decline = values[:, :-1] if recipe.decline_when == "score_above" else -values[:, :-1]
    usable = np.array([name not in recipe.excluded for name in names])
    mask = declined(score, recipe)
    missing = features.isna().to_numpy()
    applicants, unmapped, counts = [], set(), dict.fromkeys(names, 0)
    for row in np.flatnonzero(mask):
        push = np.where(usable, toward_decline[row], 0.0)
        order = [i for i in np.argsort(-push, kind="stable") if push[i] > 0]
        reasons = []
        for i in order[:recipe.max_reasons]:
            name = names[i]
            text = recipe.reason_texts.get(name)
            if text is None:
                unmapped.add(name)
            counts[name] += 1
            value = features.iat[row, i]
            reasons.append({"feature": name, "reason": text or f"{name} (no reason text)",
                            "mapped": text is not None, "contribution": float(push[i]),
                            "value": None if missing[row, i] else _plain(value),
                            "value_missing": bool(missing[row, i])})
        applicants.append({"row": int(row), "score": float(score[row]), "reasons": reasons})
    return {"declined": int(mask.sum()), "rows": len(features),
            "without_reason": sum(1 for a in applicants if not a["reasons"]),
            "rows_with_missing_values": int(missing.any(axis=1).sum()),
            "unmapped_features": sorted(unmapped),
            "reason_frequency": {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
                                 if v},
            "applicants": applicants}


def _plain(value):
    return value.item() if hasattr(value, "item") else value
