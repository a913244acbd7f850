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
