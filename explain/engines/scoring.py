"""Batch scoring of every registry artifact format.

Three objectives, detected from the artifact where it says so (XGBoost and LightGBM
objectives, scikit-learn's estimator type): binary classifiers (probability of the
positive class, e.g. default), regression models (LGD, EAD, income: the prediction on
the target's scale) and multiclass models (rating grades: a probability per class, in
the model's class order). The margin is the model's raw score: log-odds for binary
XGBoost/LightGBM, ``decision_function`` for scikit-learn linear models, else
logit(probability); per class for multiclass boosters. Nothing here unpickles: skops
loads with its default trusted types plus the registry's reviewed list (passed in),
ONNX (binary only) runs in onnxruntime.

Missing values: tree ensembles route them down their learned default branches; the
other formats cannot score such rows, so those rows get NaN and are counted in
``ScoreResult.unscored_rows`` rather than failing the whole batch.
"""

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explain.engines.tree_models import categories as booster_categories
from explain.engines.tree_models import feature_names as booster_feature_names
from explain.engines.tree_models import load_booster
from explain.engines.tree_models import margin as booster_margin

TREE_FORMATS = ("xgboost_json", "xgboost_ubj", "lightgbm_text")


class ModelLoadError(ValueError):
    """The artifact cannot be turned into a scoring model."""


class MissingFeatures(ValueError):
    def __init__(self, missing: list[str]):
        super().__init__(f"the data lack feature(s) the model needs: {', '.join(missing)}")
        self.missing = missing


OBJECTIVES = ("binary", "regression", "multiclass")


@dataclass
class ScoreResult:
    """``probability``: binary, the positive class's; regression, the prediction;
    multiclass, the decided (most probable) class's, with every class's in
    ``class_probabilities`` [n, k]. NaN for unscored rows."""

    probability: np.ndarray
    margin: np.ndarray
    unscored_rows: int
    class_probabilities: np.ndarray | None = None

    @property
    def prediction(self) -> np.ndarray:
        return self.probability

    @property
    def decided_class(self) -> np.ndarray:
        """Index of the most probable class, -1 for unscored rows (multiclass)."""
        if self.class_probabilities is None:
            raise ValueError("only multiclass models decide a class")
        scored = ~np.isnan(self.class_probabilities).any(axis=1)
        decided = np.full(len(scored), -1)
        decided[scored] = np.argmax(self.class_probabilities[scored], axis=1)
        return decided


class EmptyInput(ValueError):
    def __init__(self):
        super().__init__("the data have no rows to score")


def _category_codes(column: pd.Series, categories: list) -> np.ndarray:
    """The model's code of each value (its position in the trained categories), compared
    as text so 2 and "2" are one category; missing and unseen values are NaN."""
    lookup = {str(category): float(code) for code, category in enumerate(categories)}
    text = column.astype(str).where(column.notna(), None)
    return text.map(lookup).to_numpy(np.float64)


def _not_empty(features: pd.DataFrame) -> pd.DataFrame:
    if len(features) == 0:
        raise EmptyInput()
    return features


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, 1e-15, 1 - 1e-15)
    return np.log(clipped / (1 - clipped))


class ScoringModel:
    """A loaded artifact. ``probability_fn`` takes a float frame in feature order."""

    def __init__(self, artifact_format: str, features: list[str],
                 probability_fn: Callable[[pd.DataFrame], np.ndarray],
                 margin_fn: Callable[[pd.DataFrame], np.ndarray], handles_missing: bool,
                 booster=None, numeric_inputs: bool = True, objective: str = "binary",
                 classes: list[str] | None = None, categories: dict | None = None):
        self.format = artifact_format
        # Native categorical features: the categories in the model's code order.
        self.categories = categories or {}
        self.objective = objective
        self.classes = classes or []
        self.feature_names = features
        self._probability = probability_fn
        self._margin = margin_fn
        self.handles_missing = handles_missing
        self.booster = booster
        # scikit-learn pipelines encode their own string/category columns.
        self.numeric_inputs = numeric_inputs

    @property
    def is_tree_ensemble(self) -> bool:
        return self.booster is not None

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise MissingFeatures(missing)
        if not self.numeric_inputs:
            return frame[self.feature_names]
        if not self.categories:
            return frame[self.feature_names].astype(np.float64)
        columns = {name: _category_codes(frame[name], self.categories[name])
                   if name in self.categories else frame[name].astype(np.float64)
                   for name in self.feature_names}
        return pd.DataFrame(columns, index=frame.index)

    def unseen_categories(self, frame: pd.DataFrame) -> dict[str, dict[str, int]]:
        """Per categorical feature, the values the model was not trained with and how
        often each occurs (they are scored as missing, never silently coded)."""
        found = {}
        for name, categories in self.categories.items():
            if name not in frame.columns:
                continue
            text = frame[name].dropna().astype(str)
            unseen = text[~text.isin([str(c) for c in categories])].value_counts()
            if len(unseen):
                found[name] = {str(k): int(v) for k, v in unseen.head(10).items()}
        return found

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """For explainers: every row must be scorable."""
        return self._probability(_not_empty(self.features(frame)))

    def score(self, frame: pd.DataFrame) -> ScoreResult:
        features = _not_empty(self.features(frame))
        n = len(features)
        shape = (n, len(self.classes)) if self.objective == "multiclass" else (n,)
        probability = np.full(shape, np.nan)
        margin = np.full(shape, np.nan)
        complete = np.ones(n, dtype=bool) if self.handles_missing else \
            ~features.isna().any(axis=1).to_numpy()
        if complete.any():
            rows = features[complete] if not complete.all() else features
            probability[complete] = self._probability(rows)
            margin[complete] = self._margin(rows)
        if self.objective != "multiclass":
            return ScoreResult(probability, margin, int(n - complete.sum()))
        decided = np.full(n, np.nan)
        decided[complete] = probability[complete].max(axis=1)
        return ScoreResult(decided, margin, int(n - complete.sum()), probability)


_LIGHTGBM_REGRESSION = ("regression", "regression_l1", "l1", "l2", "huber", "fair",
                        "quantile", "mape", "poisson", "gamma", "tweedie", "mse", "mae",
                        "rmse")


def tree_objective(booster) -> tuple[str, int, str]:
    """(objective, number of classes, the framework's objective name) of a booster."""
    import json

    if hasattr(booster, "save_config"):  # XGBoost
        learner = json.loads(booster.save_config())["learner"]
        name = learner["objective"]["name"]
        if name in ("binary:logistic", "binary:logitraw"):
            return "binary", 2, name
        if name in ("multi:softprob", "multi:softmax"):
            return "multiclass", int(learner["learner_model_param"]["num_class"]), name
        if name.startswith("reg:") and name != "reg:logistic" or name == "count:poisson":
            return "regression", 0, name
        raise ModelLoadError(f"the XGBoost objective is {name}; Assay scores binary "
                             "classifiers, regression and multiclass models")
    name = str(booster.dump_model(num_iteration=0).get("objective", ""))
    first = name.split(" ")[0]
    if first in ("binary", "cross_entropy", "xentropy"):
        return "binary", 2, name
    if first in ("multiclass", "softmax"):
        classes = next((int(part.split(":", 1)[1]) for part in name.split()
                        if part.startswith("num_class:")), 0)
        return "multiclass", classes, name
    if first in _LIGHTGBM_REGRESSION:
        return "regression", 0, name
    raise ModelLoadError(f"the LightGBM objective is {name or 'unknown'}; Assay scores "
                         "binary classifiers, regression and multiclass (softmax) models")


def _lightgbm_sigmoid(objective: str) -> float:
    for part in objective.split():
        if part.startswith("sigmoid:"):
            return float(part.split(":", 1)[1])
    return 1.0


def _softmax(margin: np.ndarray) -> np.ndarray:
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _tree_output(booster, artifact_format: str, objective: str, name: str):
    """The function from a frame to the model's output (probability, prediction, or
    class probabilities)."""
    if objective == "binary":
        scale = _lightgbm_sigmoid(name) if artifact_format == "lightgbm_text" else 1.0

        def output(frame):
            return _sigmoid(scale * booster_margin(booster, frame))
    elif objective == "multiclass":
        def output(frame):
            return _softmax(booster_margin(booster, frame))
    elif artifact_format == "lightgbm_text":
        def output(frame):
            return np.asarray(booster.predict(frame.to_numpy(np.float64)), dtype=np.float64)
    else:
        def output(frame):
            return np.asarray(booster.inplace_predict(frame, predict_type="value"),
                              dtype=np.float64)
    return output


def _tree_model(data: bytes, artifact_format: str, features: list[str]) -> ScoringModel:
    try:
        booster = load_booster(data, artifact_format)
    except Exception as error:  # the frameworks raise their own error types
        raise ModelLoadError(f"the {artifact_format} artifact could not be loaded: "
                             f"{str(error).splitlines()[0] if str(error) else error}") from None
    if not booster_feature_names(booster) and hasattr(booster, "num_features"):
        # XGBoost trained on a numpy array: the registered names say which column is which.
        expected = booster.num_features()
        if not features:
            raise ModelLoadError("the artifact does not name its features and none were "
                                 "registered; register feature_names with the version")
        if len(features) != expected:
            raise ModelLoadError(f"the model has {expected} input features but "
                                 f"{len(features)} feature names were registered")
        booster.feature_names = list(features)
    objective, classes, name = tree_objective(booster)
    return ScoringModel(artifact_format, booster_feature_names(booster),
                        _tree_output(booster, artifact_format, objective, name),
                        lambda frame: booster_margin(booster, frame), True, booster,
                        objective=objective,
                        classes=[str(k) for k in range(classes)] if objective == "multiclass"
                        else None, categories=booster_categories(booster))


def _skops_model(data: bytes, features: list[str], trusted_types) -> ScoringModel:
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
        refused = sorted(set(untrusted) - set(trusted_types))
        if refused:
            raise ModelLoadError("the skops file needs untrusted types: " + ", ".join(refused))
        estimator = skops.io.loads(data, trusted=sorted(untrusted) or None)
    except ModelLoadError:
        raise
    except Exception as error:  # skops raises many kinds on a damaged archive
        raise ModelLoadError(f"the skops artifact could not be loaded: {error}") from None
    names = [str(n) for n in getattr(estimator, "feature_names_in_", [])] or features
    if _is_regressor(estimator):
        def prediction(frame):
            return np.asarray(estimator.predict(frame), dtype=np.float64)

        return ScoringModel("skops", names, prediction, prediction, False,
                            numeric_inputs=False, objective="regression")
    if not hasattr(estimator, "predict_proba"):
        raise ModelLoadError("the scikit-learn estimator has no predict_proba; Assay scores "
                             "probabilistic classifiers and regressors")
    classes = [str(label) for label in getattr(estimator, "classes_", [])]
    if len(classes) > 2:
        def class_probabilities(frame):
            return np.asarray(estimator.predict_proba(frame), dtype=np.float64)

        return ScoringModel("skops", names, class_probabilities,
                            lambda frame: np.log(np.clip(class_probabilities(frame), 1e-15,
                                                         1)), False,
                            numeric_inputs=False, objective="multiclass", classes=classes)

    def probability(frame):
        return np.asarray(estimator.predict_proba(frame)[:, 1], dtype=np.float64)

    def margin(frame):
        if hasattr(estimator, "decision_function"):
            return np.asarray(estimator.decision_function(frame), dtype=np.float64)
        return _logit(probability(frame))

    return ScoringModel("skops", names, probability, margin, False, numeric_inputs=False)


_CWD_LOCK = threading.Lock()


@contextlib.contextmanager
def _in_empty_directory():
    """Run with an empty temporary working directory: whatever relative path a model
    names resolves to nothing. The working directory is per process, hence the lock."""
    with _CWD_LOCK, tempfile.TemporaryDirectory(prefix="assay-onnx-") as empty:
        previous = os.getcwd()
        os.chdir(empty)
        try:
            yield
        finally:
            os.chdir(previous)


def _is_regressor(estimator) -> bool:
    from sklearn.base import is_regressor

    return bool(is_regressor(estimator))


def _onnx_model(data: bytes, features: list[str]) -> ScoringModel:
    """From the bytes only (never a path), in an empty working directory. The registry
    refuses models with external data; the worker checks again before calling this."""
    import onnxruntime

    if not isinstance(data, bytes | bytearray):
        raise ModelLoadError("ONNX models are loaded from their bytes only")
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        with _in_empty_directory():
            session = onnxruntime.InferenceSession(bytes(data), options,
                                                   providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own error types
        raise ModelLoadError(f"the ONNX artifact could not be loaded: {error}") from None
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelLoadError("Assay scores ONNX models with one tensor input [rows, features]")
    input_name = inputs[0].name

    def probability(frame):
        outputs = session.run(None, {input_name: frame.to_numpy(np.float32)})
        return _positive_class(outputs, len(frame))

    return ScoringModel("onnx", features, probability,
                        lambda frame: _logit(probability(frame)), False)


def _positive_class(outputs: list, rows: int) -> np.ndarray:
    """The positive-class probability among an ONNX model's outputs: a [n] or [n, 1]
    probability tensor, a [n, 2] class-probability tensor, or skl2onnx's ZipMap list."""
    for output in reversed(outputs):
        if isinstance(output, list) and output and isinstance(output[0], dict):
            key = 1 if 1 in output[0] else max(output[0])
            return np.array([row[key] for row in output], dtype=np.float64)
        array = np.asarray(output)
        if array.dtype.kind == "f" and array.shape[:1] == (rows,):
            if array.ndim == 1 or array.shape[1] == 1:
                return array.reshape(rows).astype(np.float64)
            if array.ndim == 2 and array.shape[1] == 2:
                return array[:, 1].astype(np.float64)
    raise ModelLoadError("no ONNX output looks like a binary class probability")


def load_scoring_model(data: bytes, artifact_format: str, features: list[str],
                       trusted_types=frozenset()) -> ScoringModel:
    """``features`` (from the registry) name the inputs when the artifact does not;
    ``trusted_types``: the reviewed types a skops file may need beyond skops's defaults
    (the registry's list); any other type is refused."""
    if artifact_format in TREE_FORMATS:
        return _tree_model(data, artifact_format, features)
    if artifact_format == "skops":
        return _skops_model(data, features, trusted_types)
    if artifact_format == "onnx":
        return _onnx_model(data, features)
    raise ModelLoadError(f"unknown artifact format {artifact_format!r}")
