import json
import subprocess
import sys

import pytest

from registry.cli import main
from registry.models import ModelVersion
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cli_env(live_server, ci, credit_model, monkeypatch):
    monkeypatch.setenv("ASSAY_URL", live_server.url)
    monkeypatch.setenv("ASSAY_TOKEN", token_for(ci, "register", "read"))


def test_register_prints_version_and_exits_zero(cli_env, tmp_path, xgb_json, capsys):
    artifact = tmp_path / "model.json"
    artifact.write_bytes(xgb_json)
    code = main(["register", "--model", "credit-pd", "--artifact", str(artifact),
                 "--metric", "auc=0.81", "--tag", "nightly"])
    assert code == 0 and "registered credit-pd v1" in capsys.readouterr().out
    assert ModelVersion.objects.get().metrics == {"auc": 0.81}


def test_retry_with_same_key_is_not_a_duplicate(cli_env, tmp_path, xgb_json, capsys):
    artifact = tmp_path / "model.json"
    artifact.write_bytes(xgb_json)
    for _ in range(2):
        main(["register", "--model", "credit-pd", "--artifact", str(artifact),
              "--idempotency-key", "pipeline-7"])
    assert "already registered as credit-pd v1" in capsys.readouterr().out


def test_failure_is_one_line_and_non_zero(cli_env, tmp_path, capsys):
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(b"\x80\x04junk")
    code = main(["register", "--model", "credit-pd", "--artifact", str(artifact)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "HTTP 415" in err


def test_datasets_upload_and_models_list(cli_env, tmp_path, dataset_csv, capsys):
    path = tmp_path / "train.csv"
    path.write_bytes(dataset_csv)
    assert main(["datasets", "upload", str(path), "--target", "default",
                 "--protected", "sex"]) == 0
    assert main(["--json", "models", "list"]) == 0
    out = capsys.readouterr().out
    assert "300 rows" in out and json.loads(out[out.index("["):])[0]["slug"] == "credit-pd"


def test_missing_token_is_explained(monkeypatch, capsys):
    monkeypatch.delenv("ASSAY_TOKEN", raising=False)
    monkeypatch.setenv("ASSAY_URL", "http://127.0.0.1:9")
    assert main(["models", "list"]) == 1 and "ASSAY_TOKEN" in capsys.readouterr().err


def test_unreachable_server(monkeypatch, capsys):
    monkeypatch.setenv("ASSAY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ASSAY_TOKEN", "assay_00000000_" + "x" * 43)
    assert main(["models", "list"]) == 1 and "cannot reach" in capsys.readouterr().err


def test_every_command_has_help():
    for args in (["--help"], ["register", "--help"], ["datasets", "upload", "--help"],
                 ["models", "list", "--help"], ["evidence", "run", "--help"],
                 ["evidence", "status", "--help"]):
        result = subprocess.run([sys.executable, "-m", "registry.cli", *args],
                                capture_output=True, text=True)
        assert result.returncode == 0 and "usage: assay" in result.stdout
