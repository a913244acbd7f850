"""Property-based run of the OpenAPI schema against the live app (schemathesis): whatever
a client sends that the schema allows, or nearly allows, the answer is never a 5xx.

Bounded for CI (about a minute): a fixed number of examples per operation, derandomised
so a failure reproduces, no example database written into the checkout."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from governance.wsgi import application
from tests.conftest import token_for

EXAMPLES_PER_OPERATION = 15

schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(
    SchemaGenerator().get_schema(request=None, public=True))))
schema.app = application
# Valid and invalid requests alike (wrong types, out-of-range numbers, NUL characters).
schema.config.generation.update(modes=list(GenerationMode), allow_x00=True)


@pytest.fixture
def owner_token(olivia, credit_model):
    return token_for(olivia, "read", "register", "manage", "operate")


@pytest.fixture
def _keep_test_connection():
    """The raw WSGI app closes the database connection when a request ends; the test's
    transaction lives on that connection (Django's test client disconnects this too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_describes_gets_a_server_error(case, owner_token,
                                                             _keep_test_connection):
    case.call_and_validate(headers={"Authorization": f"Bearer {owner_token}"},
                           checks=[not_a_server_error])
