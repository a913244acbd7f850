"""The demo's models and datasets are what the registry accepts (so `make demo` does not rot)."""

from governance.demo.training import PROTECTED, TARGET, features, load_frame, train_all
from registry.artifacts import inspect_artifact
from registry.tabular import profile_dataset


def test_german_credit_is_decoded_with_a_binary_target():
    frame = load_frame()
    assert len(frame) == 1000 and frame[TARGET].sum() == 300  # 300 'bad' applicants
    assert set(frame["sex"]) == {"male", "female"}


def test_demo_artifacts_and_datasets_pass_registry_checks(tmp_path):
    train_csv, _, trained = train_all(tmp_path)
    expected = features(load_frame())
    for model in trained:
        info = inspect_artifact(model.artifact.read_bytes(), model.artifact.name,
                                model.artifact_format)
        assert info.feature_names == expected and model.metrics["auc_valid"] > 0.7
    profile = profile_dataset(train_csv.read_bytes(), train_csv.name,
                              {"target": TARGET, "protected": PROTECTED, "id": "applicant_id"})
    assert {c["name"] for c in profile.columns if c["role"] == "protected"} == set(PROTECTED)
