"""Load tree-ensemble artifacts (the registry's safe formats) and explain them.

``shap_values`` follows the numeric contract in ARCHITECTURE.md: an array of shape
[n_rows, n_features + 1], last column the bias, each row summing to the margin
prediction (log-odds for binary models), like XGBoost's ``pred_contribs``; for
multiclass models [n_rows, n_features + 1, n_classes], one such slice per class.
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


def categories(booster) -> dict[str, list]:
    """A LightGBM model trained on pandas ``category`` columns: feature -> its categories
    in code order (the model's ``pandas_categorical``)."""
    trained = getattr(booster, "pandas_categorical", None)
    if not trained or not hasattr(booster, "model_to_string"):
        return {}
    found = re.search(r"^\[categorical_feature: ([0-9,]*)\]", booster.model_to_string(),
                      re.MULTILINE)
    indices = [int(i) for i in found.group(1).split(",") if i] if found else []
    names = feature_names(booster)
    return {names[i]: list(values) for i, values in zip(indices, trained, strict=False)}


def margin(booster, frame: pd.DataFrame) -> np.ndarray:
    """Raw (log-odds) prediction. LightGBM gets a float matrix: categorical features are
    already the model's category codes (``scoring`` encodes them)."""
    if hasattr(booster, "inplace_predict"):
        return np.asarray(booster.inplace_predict(frame, predict_type="margin"),
                          dtype=np.float64)
    return np.asarray(booster.predict(frame.to_numpy(np.float64), raw_score=True),
                      dtype=np.float64)


def shap_values(booster, frame: pd.DataFrame) -> np.ndarray:
    """Path-dependent TreeSHAP on the margin, via shap's TreeExplainer."""
    import shap

    missing = [name for name in feature_names(booster) if name not in frame.columns]
    if missing:
        raise ValueError(f"the data lack feature(s) the model needs: {', '.join(missing)}")
    frame = frame[feature_names(booster)]
    explainer = shap.TreeExplainer(booster, feature_perturbation="tree_path_dependent",
                                   model_output="raw")
    # LightGBM gets a float matrix (categorical features are already category codes).
    data = frame.to_numpy(np.float64) if hasattr(booster, "model_to_string") else frame
    values = np.asarray(explainer.shap_values(data), dtype=np.float64)
    expected = np.ravel(explainer.expected_value)
    if values.ndim == 3 and values.shape[-1] > 2:
        # Multiclass: [n_rows, n_features + 1, n_classes], each class's slice summing to
        # that class's margin.
        bias = np.broadcast_to(expected, (len(frame), 1, len(expected)))
        return np.concatenate([values, bias], axis=1)
    if values.ndim == 3:  # some versions return one array per class for binary models
        values = values[..., -1]
    bias = np.full((len(frame), 1), float(expected[-1]))
    return np.hstack([values, bias])

