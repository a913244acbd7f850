"""Load tree-ensemble artifacts (the registry's safe formats) and explain them.

``shap_values`` follows the numeric contract in ARCHITECTURE.md: an array of shape
[n_rows, n_features + 1], last column the bias, each row summing to the margin
prediction (log-odds for binary models), like XGBoost's ``pred_contribs``.
"""

import re

import numpy as np
import pandas as pd


def load_booster(data: bytes, artifact_format: str):
    """A framework booster from artifact bytes. Never unpickles."""
    if artifact_format in ("xgboost_json", "xgboost_ubj"):
        import xgboost

        return xgboost.Booster(model_file=bytearray(data))
    if artifact_format == "lightgbm_text":
        import lightgbm

        return lightgbm.Booster(model_str=data.decode("utf-8"))
    raise ValueError(f"{artifact_format} is not a tree-ensemble format")


def feature_names(booster) -> list[str]:
    names = booster.feature_names if hasattr(booster, "feature_names") else None
    if names is None and hasattr(booster, "feature_name"):
        names = booster.feature_name()
    return list(names or [])


def has_categorical_splits(booster) -> bool:
    """Whether any split tests a category set (LightGBM ``num_cat``, XGBoost categorical
    feature types) rather than a numeric threshold."""
    if hasattr(booster, "model_to_string"):
        return re.search(r"^num_cat=[1-9]", booster.model_to_string(), re.MULTILINE) is not None
    return "c" in (booster.feature_types or [])


def margin(booster, frame: pd.DataFrame) -> np.ndarray:
    """Raw (log-odds) prediction."""
    if hasattr(booster, "inplace_predict"):
        return np.asarray(booster.inplace_predict(frame, predict_type="margin"),
                          dtype=np.float64)
    return np.asarray(booster.predict(frame, raw_score=True), dtype=np.float64)


def shap_values(booster, frame: pd.DataFrame) -> np.ndarray:
    """Path-dependent TreeSHAP on the margin, via shap's TreeExplainer."""
    import shap

    missing = [name for name in feature_names(booster) if name not in frame.columns]
    if missing:
        raise ValueError(f"the data lack feature(s) the model needs: {', '.join(missing)}")
    frame = frame[feature_names(booster)]
    explainer = shap.TreeExplainer(booster, feature_perturbation="tree_path_dependent",
                                   model_output="raw")
    values = np.asarray(explainer.shap_values(frame), dtype=np.float64)
    if values.ndim == 3:  # some versions return one array per class for binary models
        values = values[..., -1]
    bias = np.full((len(frame), 1), float(np.ravel(explainer.expected_value)[-1]))
    return np.hstack([values, bias])

