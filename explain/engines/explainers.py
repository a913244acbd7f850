"""SHAP explanations behind one API, whatever the artifact format.

``explain`` returns ``[n_rows, n_features + 1]`` (last column the bias), each row
summing to the model output it explains (ARCHITECTURE.md's numeric contract):

- ``tree_path_dependent``: shap's TreeExplainer on the margin (log-odds), exact, no
  background data needed;
- ``tree_interventional``: TreeExplainer on the probability with a background sample
  (the recipe fixes its size and seed, so the result is reproducible);
- ``permutation`` / ``kernel``: model-agnostic, on the probability, for skops and ONNX
  models. They cost O(rows x evaluations), so the recipe caps the rows explained
  (a seeded sample), the background size and the evaluations per row.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from explain.engines.scoring import ScoringModel
from explain.engines.tree_models import has_categorical_splits
from explain.engines.tree_models import shap_values as path_dependent_values

METHODS = ("tree_path_dependent", "tree_interventional", "permutation", "kernel")
TREE_METHODS = METHODS[:2]
ADDITIVITY_TOLERANCE = 1e-6  # probability units


@dataclass
class Explanation:
    values: np.ndarray  # [n_rows, n_features + 1], bias last
    feature_names: list[str]
    method: str
    output: str  # "margin" or "probability"
    rows: np.ndarray  # positions in the input frame that were explained
    skipped_missing: int = 0  # rows left out because a model-agnostic method cannot score them

    def global_importance(self) -> dict[str, float]:
        """Mean |SHAP| per feature, largest first."""
        means = np.abs(self.values[:, :-1]).mean(axis=0) if len(self.values) else \
            np.zeros(len(self.feature_names))
        order = np.argsort(-means, kind="stable")
        return {self.feature_names[i]: float(means[i]) for i in order}


def background_sample(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    if len(frame) <= size:
        return frame
    return frame.sample(n=size, random_state=seed)


def explain(model: ScoringModel, frame: pd.DataFrame, *, method: str,
            background: pd.DataFrame | None = None, background_size: int = 200,
            max_rows: int | None = None, max_evals: int = 500, seed: int = 0) -> Explanation:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if method in TREE_METHODS and not model.is_tree_ensemble:
        raise ValueError(f"{method} needs a tree ensemble; use 'permutation' or 'kernel' for "
                         f"{model.format} models")
    everything = model.features(frame)
    features, positions = everything, np.arange(len(everything))
    if max_rows is not None and len(everything) > max_rows:
        positions = np.sort(np.random.default_rng(seed).choice(len(everything), max_rows,
                                                               replace=False))
        features = everything.iloc[positions]
    if method == "tree_path_dependent":
        return Explanation(path_dependent_values(model.booster, features), model.feature_names,
                           method, "margin", positions)
    if model.objective == "multiclass":
        raise ValueError(f"{method} SHAP for multiclass models is not available; use "
                         "'tree_path_dependent' (one explanation per class)")
    source = model.features(background) if background is not None else everything
    source = background_sample(source, background_size, seed)
    if method == "tree_interventional":
        return Explanation(_interventional(model, features, source), model.feature_names,
                           method, "probability", positions)
    complete = ~features.isna().any(axis=1).to_numpy()
    source = source[~source.isna().any(axis=1).to_numpy()]
    values = _model_agnostic(model, features[complete], source, method, max_evals, seed)
    return Explanation(values, model.feature_names, method, "probability",
                       positions[complete], int((~complete).sum()))


def _interventional(model: ScoringModel, features: pd.DataFrame,
                    background: pd.DataFrame) -> np.ndarray:
    import shap

    if has_categorical_splits(model.booster):
        raise ValueError("interventional SHAP is refused for this model: it has categorical "
                         "splits, which shap's interventional algorithm reads as numeric "
                         "thresholds (the values would not add up to the probability); use "
                         "'tree_path_dependent'")
    if model.objective == "multiclass":
        raise ValueError("interventional SHAP for multiclass models is not available; use "
                         "'tree_path_dependent' (one explanation per class)")
    regression = model.objective == "regression"
    explainer = shap.TreeExplainer(model.booster, data=background,
                                   feature_perturbation="interventional",
                                   model_output="raw" if regression else "probability")
    values = np.asarray(explainer.shap_values(features), dtype=np.float64)
    if values.ndim == 3:
        values = values[..., -1]
    bias = float(np.ravel(explainer.expected_value)[-1])
    result = np.hstack([values, np.full((len(features), 1), bias)])
    output = model.score(features).margin if regression else model.probability(features)
    check_additivity(result, output, "interventional SHAP")
    return result


def check_additivity(values: np.ndarray, output: np.ndarray, method: str,
                     tolerance: float = ADDITIVITY_TOLERANCE) -> None:
    """Every row of ``values`` (bias last) must sum to the model output it explains."""
    gap = np.abs(values.sum(axis=1) - output)
    bad = ~(gap <= tolerance)  # NaN counts as bad
    if bad.any():
        raise ValueError(f"{method} does not add up to the model output on {int(bad.sum())} of "
                         f"{len(gap)} rows (largest gap {float(np.nanmax(gap)):.3g}, tolerance "
                         f"{tolerance:g}); the run is refused rather than stored")


def _model_agnostic(model: ScoringModel, features: pd.DataFrame, background: pd.DataFrame,
                    method: str, max_evals: int, seed: int) -> np.ndarray:
    import shap

    names = model.feature_names

    def predict(matrix: np.ndarray) -> np.ndarray:
        return model.probability(pd.DataFrame(matrix, columns=names))

    if len(features) == 0:
        return np.zeros((0, len(names) + 1))
    if method == "permutation":
        # At least 2 * n_features + 1 evaluations are needed for one permutation.
        evals = max(max_evals, 2 * len(names) + 1)
        explainer = shap.PermutationExplainer(predict, shap.maskers.Independent(
            background.to_numpy(), max_samples=len(background)), seed=seed)
        result = explainer(features.to_numpy(), max_evals=evals, silent=True)
        values = np.asarray(result.values, dtype=np.float64)
        bias = np.asarray(result.base_values, dtype=np.float64).reshape(-1, 1)
        return np.hstack([values, bias])
    explainer = shap.KernelExplainer(predict, background.to_numpy())
    # KernelExplainer samples coalitions from numpy's global generator: seed it for a
    # reproducible run and put the caller's state back afterwards.
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        values = np.asarray(explainer.shap_values(features.to_numpy(), nsamples=max_evals,
                                                  silent=True), dtype=np.float64)
    finally:
        np.random.set_state(state)
    bias = np.full((len(features), 1), float(np.ravel(explainer.expected_value)[-1]))
    return np.hstack([values, bias])
