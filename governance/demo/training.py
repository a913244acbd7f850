"""Train the two demo credit models on German Credit, as a model developer would.

No Django here: it writes a train and a validation CSV (encoded features, the
0/1 target and the protected attributes) and two artifacts in safe formats.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data" / "german_credit" / "german_credit.csv"
TARGET = "default"  # 1 = bad credit, the event a PD model predicts
PROTECTED = ["sex", "age_band", "foreign_worker"]
SEED = 20261123


@dataclass(frozen=True)
class TrainedModel:
    slug: str
    artifact: Path
    artifact_format: str
    framework_version: str
    metrics: dict
    params: dict


def load_frame(path: Path = DATA) -> pd.DataFrame:
    raw = pd.read_csv(path)
    frame = pd.DataFrame({"applicant_id": np.arange(1, len(raw) + 1)})
    for column in raw.columns.drop("creditability"):
        if not pd.api.types.is_numeric_dtype(raw[column]):
            # Stable ordinal codes (sorted labels) so train and scoring data agree.
            categories = sorted(raw[column].unique())
            frame[column] = pd.Categorical(raw[column], categories=categories).codes
        else:
            frame[column] = raw[column]
    frame[TARGET] = (raw["creditability"] == "bad").astype(int)
    frame["sex"] = raw["personal_status_and_sex"].str.split(" : ").str[0]
    frame["age_band"] = np.where(raw["age_in_years"] < 25, "<25", ">=25")
    frame["foreign_worker"] = raw["foreign_worker"]
    return frame


def category_labels(path: Path = DATA) -> dict[str, list[str]]:
    """The labels behind load_frame's codes ({column: [label of code 0, ...]}), declared
    with the datasets so charts and packs show "purpose = car (new)", not "purpose = 2"."""
    raw = pd.read_csv(path)
    return {column: [str(label) for label in sorted(raw[column].unique())]
            for column in raw.columns.drop("creditability")
            if not pd.api.types.is_numeric_dtype(raw[column]) and column not in PROTECTED}


def features(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in {"applicant_id", TARGET, *PROTECTED}]


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    mask = rng.random(len(frame)) < 0.7
    return frame[mask].reset_index(drop=True), frame[~mask].reset_index(drop=True)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def train_all(out: Path) -> tuple[Path, Path, list[TrainedModel]]:
    import lightgbm
    import xgboost

    out.mkdir(parents=True, exist_ok=True)
    train, valid = split(load_frame())
    train_csv, valid_csv = out / "german_credit_train.csv", out / "german_credit_valid.csv"
    train.to_csv(train_csv, index=False)
    valid.to_csv(valid_csv, index=False)
    names = features(train)

    xgb_params = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.05,
                  "subsample": 0.9, "random_state": SEED}
    xgb_model = xgboost.XGBClassifier(**xgb_params).fit(train[names], train[TARGET])
    xgb_path = out / "credit_pd_xgb.json"
    xgb_model.get_booster().save_model(xgb_path)
    xgb_auc = _auc(valid[TARGET], xgb_model.predict_proba(valid[names])[:, 1])

    lgb_params = {"n_estimators": 150, "num_leaves": 15, "learning_rate": 0.05,
                  "random_state": SEED, "verbose": -1}
    lgb_model = lightgbm.LGBMClassifier(**lgb_params).fit(train[names], train[TARGET])
    lgb_path = out / "credit_pd_lgbm.txt"
    lgb_model.booster_.save_model(str(lgb_path))
    lgb_auc = _auc(valid[TARGET], lgb_model.predict_proba(valid[names])[:, 1])

    trained = [
        TrainedModel("credit-pd-xgb", xgb_path, "xgboost_json", xgboost.__version__,
                     {"auc_valid": xgb_auc, "gini_valid": 2 * xgb_auc - 1},
                     {k: str(v) for k, v in xgb_params.items()}),
        TrainedModel("credit-pd-lgbm", lgb_path, "lightgbm_text", lightgbm.__version__,
                     {"auc_valid": lgb_auc, "gini_valid": 2 * lgb_auc - 1},
                     {k: str(v) for k, v in lgb_params.items()}),
    ]
    return train_csv, valid_csv, trained
