"""Every read endpoint: allowed for each role, denied for a user with none,
and for a token without the read scope."""

import pytest

from tests.conftest import api_as, register, upload_dataset

READ_ENDPOINTS = ["/api/v1/models/", "/api/v1/models/credit-pd/",
                  "/api/v1/models/credit-pd/versions/", "/api/v1/models/credit-pd/versions/1/",
                  "/api/v1/datasets/", "/api/v1/datasets/{dataset}/"]


@pytest.fixture
def registered(ci_api, xgb_json, dataset_csv):
    register(ci_api, "credit-pd", xgb_json)
    return {"dataset": upload_dataset(ci_api, dataset_csv).json()["id"]}


@pytest.mark.parametrize("path", READ_ENDPOINTS)
@pytest.mark.parametrize("role", ["olivia", "dan", "victor", "rita", "ada", "ci"])
def test_roles_may_read(request, registered, path, role):
    client = api_as(request.getfixturevalue(role), "read")
    assert client.get(path.format(**registered)).status_code == 200


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_user_without_role_may_not_read(nobody, registered, path):
    assert api_as(nobody, "read").get(path.format(**registered)).status_code == 403


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_token_without_read_scope_may_not_read(rita, registered, path):
    assert api_as(rita, "manage").get(path.format(**registered)).status_code == 403


def test_token_limited_to_another_model_may_not_read_this_one(ci, registered, other_model):
    client = api_as(ci, "read", models=[other_model])
    assert client.get("/api/v1/models/credit-pd/versions/").status_code == 403


def test_a_token_limited_to_one_model_lists_only_that_model(ci, credit_model, other_model):
    from tests.conftest import api_as

    limited = api_as(ci, "read", models=[credit_model])
    assert [m["slug"] for m in limited.get("/api/v1/models/").json()["results"]] == ["credit-pd"]
    unlimited = api_as(ci, "read")
    assert {m["slug"] for m in unlimited.get("/api/v1/models/").json()["results"]} == {
        "credit-pd", "fraud"}


def test_a_token_limited_to_one_model_lists_only_its_datasets(ci, olivia, credit_model,
                                                              other_model, dataset_csv,
                                                              xgb_json):
    from tests.conftest import api_as, register, upload_dataset

    owner = api_as(olivia, "register", "read")
    mine = upload_dataset(api_as(ci, "register", "read"), dataset_csv, name="ci.csv").json()
    fraud_data = upload_dataset(owner, dataset_csv + b"\n", name="fraud.csv").json()
    register(owner, "fraud", xgb_json, metadata={"training_dataset": fraud_data["id"]})
    limited = api_as(ci, "read", models=[credit_model])
    listed = [d["id"] for d in limited.get("/api/v1/datasets/").json()["results"]]
    assert listed == [mine["id"]]
    assert limited.get(f"/api/v1/datasets/{fraud_data['id']}/").status_code == 404
    everything = api_as(olivia, "read").get("/api/v1/datasets/").json()["results"]
    assert {d["id"] for d in everything} == {mine["id"], fraud_data["id"]}
