"""`assay evidence` against a live server and a real worker."""

import pytest

from registry.cli import main
from tests.conftest import register, token_for, upload_dataset
from tests.worker_process import running_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registered(live_server, ci, ci_api, credit_model, xgb_json, dataset_csv, monkeypatch,
               settings):
    settings.ASSAY_EVIDENCE_POLICY = {1: []}
    dataset_id = upload_dataset(ci_api, dataset_csv).json()["id"]
    register(ci_api, "credit-pd", xgb_json, metadata={"validation_dataset": dataset_id})
    monkeypatch.setenv("ASSAY_URL", live_server.url)
    monkeypatch.setenv("ASSAY_TOKEN", token_for(ci, "register", "read"))


@pytest.mark.worker
def test_run_and_wait_prints_the_outcome(registered, tmp_path, capsys):
    with running_worker(tmp_path / "worker.log"):
        code = main(["evidence", "run", "--model", "credit-pd", "--version", "1", "--kind",
                     "performance", "--recipe", '{"bootstrap": 20}', "--wait",
                     "--poll-seconds", "0.5", "--wait-timeout", "120"])
    assert code == 0 and "performance: succeeded" in capsys.readouterr().out


def test_status_of_a_queued_run(registered, capsys):
    main(["evidence", "run", "--model", "credit-pd", "--version", "1", "--kind", "scoring"])
    run_id = capsys.readouterr().out.split()[2].rstrip(":")
    assert main(["evidence", "status", run_id]) == 0
    assert "scoring of credit-pd v1: queued" in capsys.readouterr().out


def test_bad_recipe_exits_one_with_the_problem(registered, capsys):
    code = main(["evidence", "run", "--model", "credit-pd", "--version", "1", "--kind", "shap",
                 "--recipe", '{"max_evals": 0}'])
    assert code == 1 and "shap.max_evals must be a whole number from 1 to 10000" in \
        capsys.readouterr().err
