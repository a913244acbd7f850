"""Batch scoring of every registry artifact format: probability and margin per row.

Binary classifiers only (probability of the positive class, e.g. default). The margin
is the model's raw score: log-odds for XGBoost/LightGBM, ``decision_function`` for
scikit-learn linear models, else logit(probability). Nothing here unpickles: skops
loads with its default trusted types plus the registry's reviewed list (passed in),
ONNX runs in onnxruntime.

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


@dataclass
class ScoreResult:
    probability: np.ndarray
    margin: np.ndarray
    unscored_rows: int


class EmptyInput(ValueError):
    def __init__(self):
        super().__init__("the data have no rows to score")


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
                 booster=None, numeric_inputs: bool = True):
        self.format = artifact_format
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
        return frame[self.feature_names].astype(np.float64)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """For explainers: every row must be scorable."""
        return self._probability(_not_empty(self.features(frame)))

    def score(self, frame: pd.DataFrame) -> ScoreResult:
        features = _not_empty(self.features(frame))
        n = len(features)
        probability = np.full(n, np.nan)
        margin = np.full(n, np.nan)
        complete = np.ones(n, dtype=bool) if self.handles_missing else \
            ~features.isna().any(axis=1).to_numpy()
        if complete.any():
            rows = features[complete] if not complete.all() else features
            probability[complete] = self._probability(rows)
            margin[complete] = self._margin(rows)
        return ScoreResult(probability, margin, int(n - complete.sum()))


def _binary_objective_xgboost(booster) -> None:
    import json

    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if objective not in ("binary:logistic", "binary:logitraw"):
        raise ModelLoadError(f"the XGBoost objective is {objective}; Assay scores binary "
                             "classifiers (binary:logistic)")


def _lightgbm_sigmoid(booster) -> float:
    objective = str(booster.dump_model(num_iteration=0).get("objective", ""))
    if not objective.startswith(("binary", "cross_entropy")):
        raise ModelLoadError(f"the LightGBM objective is {objective or 'unknown'}; Assay "
                             "scores binary classifiers")
    for part in objective.split():
        if part.startswith("sigmoid:"):
            return float(part.split(":", 1)[1])
    return 1.0


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
    if artifact_format == "lightgbm_text":
        scale = _lightgbm_sigmoid(booster)

        def probability(frame):
            return _sigmoid(scale * booster_margin(booster, frame))
    else:
        _binary_objective_xgboost(booster)

        def probability(frame):
            return _sigmoid(booster_margin(booster, frame))
    return ScoringModel(artifact_format, booster_feature_names(booster), probability,
                        lambda frame: booster_margin(booster, frame), True, booster)


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
    if not hasattr(estimator, "predict_proba"):
        raise ModelLoadError("the scikit-learn estimator has no predict_proba; Assay scores "
                             "probabilistic binary classifiers")
    names = [str(n) for n in getattr(estimator, "feature_names_in_", [])] or features

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
