"""Impossible dates and out-of-range policy numbers are refused with the field, never a
500 (SQLite stores any integer; the service checks the ranges)."""

import pytest
from django.test import Client

from governance.workflow.errors import InvalidWorkflowInput
from governance.workflow.policies import current_policy
from governance.workflow.services import revise_policy
from tests.conftest import api_as
from tests.workflow.conftest import policy_in_force


@pytest.mark.parametrize("as_of", ["2026-02-30", "2026-01-01T25:00:00Z", "2026-13-01T00:00Z",
                                   "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_impossible_as_of_is_400_on_the_api(credit_model, ci, as_of):
    for path in ("/api/v1/models/credit-pd/deployable", "/api/v1/models/credit-pd/state/"):
        response = api_as(ci, "read").get(path, {"as_of": as_of})
        assert response.status_code == 400 and "as_of" in response.json()["errors"]


def test_a_real_as_of_date_is_answered(credit_model, ci):
    response = api_as(ci, "read").get("/api/v1/models/credit-pd/state/", {"as_of": "2024-02-29"})
    assert response.status_code == 200


@pytest.mark.parametrize("as_of", ["2026-02-30", "2026-01-01T25:00:00Z"])
def test_impossible_as_of_on_the_model_page_is_shown_next_to_the_field(credit_model, rita,
                                                                       as_of):
    client = Client()
    client.force_login(rita)
    response = client.get("/models/credit-pd/", {"as_of": as_of})
    assert response.status_code == 200 and b"Give a date" in response.content


@pytest.mark.parametrize("changes", [{"grace_days": 2147483648}, {"grace_days": -1},
                                     {"revalidation_months": 0},
                                     {"revalidation_months": 10**6},
                                     {"approvals_required": 40000}])
def test_policy_integers_out_of_range_are_refused_by_the_service(rita, changes):
    revision = current_policy(2).revision
    with pytest.raises(InvalidWorkflowInput) as refused:
        revise_policy(actor=rita, tier=2, changes=changes, reason="typo")
    assert refused.value.extra["field"] == next(iter(changes))
    assert current_policy(2).revision == revision


def test_policy_integers_in_range_are_saved(rita):
    policy_in_force(rita, 2, changes={"grace_days": 3650}, reason="long grace")
    assert current_policy(2).grace_days == 3650


def test_policy_page_shows_an_out_of_range_number_next_to_the_form(rita):
    client = Client()
    client.force_login(rita)
    response = client.post("/policies/", {"tier": "2", "grace_days": "2147483648",
                                          "approvals_required": "1",
                                          "revalidation_months": "24", "reason": "x"})
    assert response.status_code == 422 and b"grace_days" in response.content
    assert client.post("/policies/", {"tier": "abc"}).status_code == 404
