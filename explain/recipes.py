"""Recipes: every parameter an evidence run's numbers depend on.

A request gives overrides; the stored recipe is the defaults merged with them, so
the fingerprint (and the reuse of an identical run) never depends on what was left
out. Unknown keys, wrong types and values out of range (every field has bounds, see
SCHEMA) are refused with the parameter named.
"""

import hashlib
import json
import math

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
                 "bootstrap": 500, "seed": 0, "intersections": True,
                 "undefined_rates": "exclude", "min_reference_size": 30, "alpha": 0.05},
    "drift": {"binning": "quantile", "bins": 10, "epsilon": 1e-4, "category_threshold": 10,
              "include_score": True},
}

# Upper bounds keep one request from holding a worker for good (or fanning out a message
# per row); they are far above what evidence needs. Cost still grows with the dataset:
# each kind also has a time limit (ASSAY_EVIDENCE_SECONDS_<KIND>).
MAX_BOOTSTRAP = 10_000
MAX_SEED = 2**32 - 1  # numpy's default_rng accepts any non-negative int; keep it portable
MAX_CHUNKS = 1_000  # a row-wise run is split into at most this many chunk messages
MAX_LIST_ITEMS = 1_000
MAX_TEXT = 300


def _integer(low: int, high: int):
    def check(kind, name, value):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidRecipe(f"{kind}.{name} must be a whole number from {low} to {high}.",
                                field=name, minimum=low, maximum=high)
    return check


def _number(low: float, high: float, *, open_low=False, open_high=False):
    def check(kind, name, value):
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value) and (low < value if open_low else low <= value) \
            and (value < high if open_high else value <= high)
        if not ok:
            raise InvalidRecipe(f"{kind}.{name} must be a number from {low} to {high}"
                                f"{' (exclusive)' if open_low or open_high else ''}.",
                                field=name, minimum=low, maximum=high)
    return check


def _boolean(kind, name, value):
    if not isinstance(value, bool):
        raise InvalidRecipe(f"{kind}.{name} must be true or false.", field=name)


def _choice(*choices):
    def check(kind, name, value):
        if not isinstance(value, str) or value not in choices:
            raise InvalidRecipe(f"{kind}.{name} must be one of {', '.join(choices)}.",
                                field=name, choices=list(choices))
    return check


def _methods(kind, name, value):
    if not isinstance(value, list) or not value or any(
            not isinstance(m, str) or m not in METHODS for m in value) \
            or len(set(value)) != len(value):
        raise InvalidRecipe(f"{kind}.methods must be a list of distinct methods among "
                            f"{', '.join(METHODS)}.", field=name)


def _text(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def _feature_list(kind, name, value):
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS or not all(
            _text(item) for item in value):
        raise InvalidRecipe(f"{kind}.{name} must be a list of at most {MAX_LIST_ITEMS} "
                            f"feature names (1 to {MAX_TEXT} characters).", field=name)


def _reason_texts(kind, name, value):
    if not isinstance(value, dict) or len(value) > MAX_LIST_ITEMS or not all(
            _text(k) and isinstance(v, str) and len(v) <= MAX_TEXT for k, v in value.items()):
        raise InvalidRecipe(f"{kind}.{name} maps a feature to its reason text (at most "
                            f"{MAX_LIST_ITEMS} entries of {MAX_TEXT} characters).", field=name)


def _bin_edges(kind, name, value):
    message = (f"{kind}.bins maps an attribute to its bin edges, e.g. "
               '{"age": [18, 25, 35, 50, 120]}: 2 to 100 increasing finite numbers '
               "per attribute.")
    if not isinstance(value, dict) or len(value) > 100:
        raise InvalidRecipe(message, field=name)
    for attribute, edges in value.items():
        if not _text(attribute) or not isinstance(edges, list) or not 2 <= len(edges) <= 100 \
                or not all(isinstance(e, int | float) and not isinstance(e, bool)
                           and math.isfinite(e) for e in edges) \
                or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise InvalidRecipe(message, field=name, attribute=str(attribute)[:MAX_TEXT])


_THRESHOLD = _number(0, 1, open_low=True, open_high=True)
_SEED = _integer(0, MAX_SEED)
_CHUNK_ROWS = _integer(10, 1_000_000)  # and at most MAX_CHUNKS chunks
_BACKGROUND = _integer(1, 1_000)
_EXPLAINED_ROWS = _integer(1, 100_000)
_EVALS = _integer(1, 10_000)

# kind -> field -> check; None is accepted where the default is None (resolved later).
SCHEMA: dict[str, dict] = {
    "scoring": {"chunk_rows": _CHUNK_ROWS},
    "performance": {"threshold": _THRESHOLD, "bootstrap": _integer(0, MAX_BOOTSTRAP),
                    "seed": _SEED, "calibration_bins": _integer(2, 100)},
    "shap": {"methods": _methods, "background_size": _BACKGROUND,
             "interventional_max_rows": _EXPLAINED_ROWS, "max_rows": _EXPLAINED_ROWS,
             "max_evals": _EVALS, "seed": _SEED, "chunk_rows": _CHUNK_ROWS,
             "sample_for_plots": _integer(1, 5_000)},
    "reason_codes": {"threshold": _THRESHOLD,
                     "decline_when": _choice("score_above", "score_below"),
                     "max_reasons": _integer(1, 10), "excluded": _feature_list,
                     "reason_texts": _reason_texts, "method": _choice(*METHODS),
                     "background_size": _BACKGROUND, "max_rows": _EXPLAINED_ROWS,
                     "max_evals": _EVALS, "seed": _SEED, "chunk_rows": _CHUNK_ROWS},
    "fairness": {"threshold": _THRESHOLD,
                 "favourable": _choice("below_threshold", "above_threshold"),
                 "bins": _bin_edges, "bootstrap": _integer(0, MAX_BOOTSTRAP), "seed": _SEED,
                 "intersections": _boolean,
                 # fairlearn scores an undefined rate 0 ("zero"); Assay leaves it out.
                 "undefined_rates": _choice("exclude", "zero"),
                 "min_reference_size": _integer(1, 1_000_000),
                 "alpha": _number(0, 0.5, open_low=True, open_high=True)},
    "drift": {"binning": _choice("quantile", "uniform"), "bins": _integer(2, 100),
              "epsilon": _number(0, 0.1, open_low=True),
              "category_threshold": _integer(2, 1_000), "include_score": _boolean},
}
assert all(set(SCHEMA[kind]) == set(DEFAULTS[kind]) for kind in DEFAULTS)  # noqa: S101


def _check(kind: str, name: str, value) -> None:
    if value is None and DEFAULTS[kind][name] is None:
        return
    if value is None:
        raise InvalidRecipe(f"{kind}.{name} may not be null; leave it out for the default "
                            f"({DEFAULTS[kind][name]!r}).", field=name)
    SCHEMA[kind][name](kind, name, value)


def check_chunk_count(kind: str, recipe: dict, rows: int) -> None:
    """A row-wise run splits the dataset into chunks of ``chunk_rows``: at most MAX_CHUNKS."""
    if "chunk_rows" in recipe and math.ceil(rows / recipe["chunk_rows"]) > MAX_CHUNKS:
        raise InvalidRecipe(f"{kind}.chunk_rows of {recipe['chunk_rows']} would split the "
                            f"{rows} rows into more than {MAX_CHUNKS} chunks; use at least "
                            f"{math.ceil(rows / MAX_CHUNKS)}.", field="chunk_rows")


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
