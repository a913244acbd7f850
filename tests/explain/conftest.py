import io

import numpy as np
import pytest

from explain.models import EvidenceRun
from explain.tasks import execute_evidence_run
from registry.services import VersionMetadata, register_version, upload_dataset

FEATURES = ["duration", "amount", "age"]


@pytest.fixture(autouse=True)
def _slow_heartbeat(settings):
    """In-process runs finish long before a heartbeat is due; a heartbeat thread writing
    to the test database (SQLite: a second connection) would only get in the way."""
    settings.ASSAY_EVIDENCE_HEARTBEAT_SECONDS = 3600


def make_dataset(frame, ci, name="validation", roles=None) -> object:
    data = frame.to_csv(index=False).encode()
    dataset, _ = upload_dataset(actor=ci, data=data, filename=f"{name}.csv", name=name,
                                roles=roles or {"target": "default", "protected": ["sex"]},
                                max_bytes=10**9)
    return dataset


@pytest.fixture
def credit_frame(training_frame):
    frame = training_frame.copy()
    frame["age_years"] = frame["age"]
    return frame


@pytest.fixture
def validation(credit_frame, ci):
    return make_dataset(credit_frame, ci, roles={"target": "default",
                                                  "protected": ["sex", "age_years"]})


@pytest.fixture
def version(credit_model, ci, xgb_json, validation):
    version, _ = register_version(
        actor=ci, model=credit_model, data=xgb_json, filename="model.json",
        metadata=VersionMetadata(training_dataset=validation.pk,
                                 validation_dataset=validation.pk),
        idempotency_key=None, max_bytes=10**9)
    return version


def run_of(version, kind) -> EvidenceRun:
    return version.evidence_runs.get(kind=kind, trigger="policy")


def execute(run) -> EvidenceRun:
    run.refresh_from_db()
    execute_evidence_run(run.pk, run.attempts + 1)
    run.refresh_from_db()
    return run


def result_frame(run):
    import pandas as pd

    from registry.blobs import read_blob

    return pd.read_parquet(io.BytesIO(read_blob(run.result_blob)))


def scores(frame, xgb_booster):
    import xgboost

    return np.asarray(xgb_booster.predict(xgboost.DMatrix(frame[FEATURES])))
