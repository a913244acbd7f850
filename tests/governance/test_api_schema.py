from django.test import Client
from openapi_spec_validator import validate

from tests.conftest import api_as


def test_openapi_schema_is_valid_and_lists_registration(rita):
    response = api_as(rita, "read").get("/api/schema/?format=json")
    schema = response.json()
    validate(schema)
    assert "post" in schema["paths"]["/api/v1/models/{slug}/versions/"]


def test_swagger_ui_is_served_without_inline_script(db):
    content = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in content and "<script>" not in content


def test_problem_types_are_documented(db):
    body = Client().get("/api/problems/pickle-refused").json()
    assert body["title"] == "Pickle-based artifacts are refused"


def test_every_registry_error_has_a_documented_remedy(db):
    from registry.errors import RegistryError

    for error in RegistryError.__subclasses__():
        body = Client().get(f"/api/problems/{error.problem_type}").json()
        assert body["title"] == error.title and body["remedy"], error
