import io

from registry.models import Blob, Dataset
from tests.conftest import api_as, register, upload_dataset

GERMAN = "data/german_credit/german_credit.csv"
GERMAN_ROLES = {"target": "creditability",
                "protected": ["personal_status_and_sex", "age_in_years", "foreign_worker"]}


def test_csv_upload_profiles_columns_and_roles(ci_api, dataset_csv):
    body = upload_dataset(ci_api, dataset_csv).json()
    roles = {column["name"]: column["role"] for column in body["columns"]}
    assert body["row_count"] == 300 and body["format"] == "csv"
    assert roles == {"duration": "feature", "amount": "feature", "age": "feature",
                     "default": "target", "sex": "protected"}


def test_german_credit_with_string_target_and_odd_labels(ci_api):
    with open(GERMAN, "rb") as handle:
        body = upload_dataset(ci_api, handle.read(), "german.csv", GERMAN_ROLES).json()
    assert (body["row_count"], len(body["columns"])) == (1000, 21)
    assert body["sha256"] == "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"


def test_parquet_upload(ci_api, training_frame):
    buffer = io.BytesIO()
    training_frame.to_parquet(buffer)
    body = upload_dataset(ci_api, buffer.getvalue(), "train.parquet").json()
    assert (body["format"], body["row_count"]) == ("parquet", 300)


def test_roles_naming_missing_columns_are_refused(ci_api, dataset_csv):
    response = upload_dataset(ci_api, dataset_csv, roles={"target": "creditability"})
    assert response.status_code == 422 and response.json()["missing_columns"] == ["creditability"]
    assert (Dataset.objects.count(), Blob.objects.count()) == (0, 0)


def test_column_in_two_roles_is_refused(ci_api, dataset_csv):
    response = upload_dataset(ci_api, dataset_csv, roles={"target": "age", "id": "age"})
    assert response.status_code == 422 and "both" in response.json()["detail"]


def test_binary_that_is_not_parquet_is_refused(ci_api):
    response = upload_dataset(ci_api, b"\x00\x01\x02" * 100, "x.bin", roles={})
    assert response.json()["type"] == "/api/problems/unreadable-dataset"


def test_malformed_roles_json(ci_api, dataset_csv):
    upload = io.BytesIO(dataset_csv)
    upload.name = "t.csv"
    response = ci_api.post("/api/v1/datasets/", {"file": upload, "name": "t", "roles": "{oops"},
                           format="multipart")
    assert response.status_code == 400


def test_same_dataset_twice_returns_the_first(ci_api, dataset_csv):
    first, again = upload_dataset(ci_api, dataset_csv), upload_dataset(ci_api, dataset_csv)
    assert (first.status_code, again.status_code, again.json()["id"]) == (
        201, 200, first.json()["id"])


def test_version_links_training_dataset(ci_api, dataset_csv, xgb_json):
    dataset_id = upload_dataset(ci_api, dataset_csv).json()["id"]
    body = register(ci_api, "credit-pd", xgb_json,
                    metadata={"training_dataset": dataset_id}).json()
    assert body["training_dataset"] == dataset_id


def test_dataset_lacking_model_features_is_refused(ci_api, training_frame, xgb_json):
    narrow = training_frame.drop(columns=["amount"]).to_csv(index=False).encode()
    dataset_id = upload_dataset(ci_api, narrow).json()["id"]
    response = register(ci_api, "credit-pd", xgb_json, metadata={"training_dataset": dataset_id})
    assert response.status_code == 422 and response.json()["missing_columns"] == ["amount"]


def test_auditor_may_read_but_not_upload(ada, dataset_csv):
    client = api_as(ada, "read", "register")
    assert client.get("/api/v1/datasets/").status_code == 200
    assert upload_dataset(client, dataset_csv).status_code == 403


def test_unknown_dataset_is_404(ci_api):
    assert ci_api.get("/api/v1/datasets/424242/").status_code == 404


def test_roles_reach_the_stored_profile(ci_api, dataset_csv):
    dataset_id = upload_dataset(ci_api, dataset_csv).json()["id"]
    columns = Dataset.objects.get(pk=dataset_id).columns
    assert [c["name"] for c in columns if c["role"] == "protected"] == ["sex"]
