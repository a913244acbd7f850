"""Recipes: every parameter an evidence run's numbers depend on.

A request gives overrides; the stored recipe is the defaults merged with them, so
the fingerprint (and the reuse of an identical run) never depends on what was left
out. Unknown keys and wrong types are refused with the parameter named.
"""

import hashlib
import json

from explain.engines.explainers import METHODS
from explain.errors import InvalidRecipe

DEFAULT_THRESHOLD = 0.5

DEFAULTS: dict[str, dict] = {
    "scoring": {"chunk_rows": 50_000},
    "performance": {"threshold": None, "bootstrap": 500, "seed": 0, "calibration_bins": 10},
    "shap": {"methods": None, "background_size": 200, "interventional_max_rows": 2_000,
             "max_rows": 1_000, "max_evals": 500, "seed": 0, "chunk_rows": 50_000,
             "sample_for_plots": 500},
    "reason_codes": {"threshold": None, "decline_when": "score_above", "max_reasons": 4,
                     "excluded": None, "reason_texts": None, "method": None,
                     "background_size": 200, "max_rows": 1_000, "max_evals": 500, "seed": 0, "chunk_rows": 50_000},
    "fairness": {"threshold": None, "favourable": "below_threshold", "bins": {},
                 "bootstrap": 500, "seed": 0, "intersections": True},
    "drift": {"binning": "quantile", "bins": 10, "epsilon": 1e-4, "include_score": True},
}

_CHOICES = {"decline_when": ("score_above", "score_below"),
            "favourable": ("below_threshold", "above_threshold"),
            "binning": ("quantile", "uniform"), "method": METHODS}
_POSITIVE_INTS = ("chunk_rows", "bootstrap", "background_size", "interventional_max_rows",
                  "max_rows", "max_evals", "max_reasons", "sample_for_plots", "bins",
                  "calibration_bins")


def _check(kind: str, name: str, value) -> None:
    if value is None:
        return
    if kind == "fairness" and name == "bins":
        if not isinstance(value, dict):
            raise InvalidRecipe("fairness.bins maps an attribute to its bin edges, e.g. "
                                '{"age": [18, 25, 35, 50, 120]}.', field=name)
        return
    if name in _CHOICES and value not in _CHOICES[name]:
        raise InvalidRecipe(f"{kind}.{name} must be one of {', '.join(_CHOICES[name])}.",
                            field=name)
    if name in _POSITIVE_INTS and (not isinstance(value, int) or isinstance(value, bool)
                                   or value < (0 if name == "bootstrap" else 1)):
        raise InvalidRecipe(f"{kind}.{name} must be a positive whole number.", field=name)
    if name == "threshold" and (not isinstance(value, int | float) or not 0 < value < 1):
        raise InvalidRecipe(f"{kind}.threshold must be a number between 0 and 1.", field=name)
    if name == "methods" and (not isinstance(value, list) or not value
                              or any(m not in METHODS for m in value)):
        raise InvalidRecipe(f"shap.methods must be a list of {', '.join(METHODS)}.",
                            field=name)
    if name == "epsilon" and (not isinstance(value, int | float) or value <= 0):
        raise InvalidRecipe("drift.epsilon must be a positive number.", field=name)


def build_recipe(kind: str, overrides: dict | None, *, resolved: dict) -> dict:
    """Defaults, then ``resolved`` (what the version and model imply: threshold, method,
    reason texts), then the caller's overrides."""
    if kind not in DEFAULTS:
        raise InvalidRecipe(f"Unknown evidence kind {kind!r}; use one of "
                            f"{', '.join(DEFAULTS)}.", field="kind")
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise InvalidRecipe("recipe must be a JSON object.", field="recipe")
    unknown = sorted(set(overrides) - set(DEFAULTS[kind]))
    if unknown:
        raise InvalidRecipe(f"Unknown {kind} recipe parameter(s): {', '.join(unknown)}. Known: "
                            f"{', '.join(DEFAULTS[kind])}.", field=unknown[0])
    recipe = dict(DEFAULTS[kind])
    recipe.update({k: v for k, v in resolved.items() if k in recipe})
    recipe.update(overrides)
    for name, value in recipe.items():
        _check(kind, name, value)
    return recipe


def fingerprint(kind: str, input_hashes: dict, recipe: dict) -> str:
    canonical = json.dumps({"kind": kind, "inputs": input_hashes, "recipe": recipe},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
