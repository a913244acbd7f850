"""Fair lending: a protected attribute (or a declared proxy) used as a model input fails
a policy check until a risk officer grants an exception with a written justification."""

import pytest
from django.test import Client

from governance.workflow import gates
from governance.workflow.errors import GateFailed, SeparationOfDuties
from governance.workflow.policies import current_policy
from governance.workflow.services import grant_fairness_exception, mark_proxy_feature
from tests.workflow.conftest import sign, sign_off, upload_report

pytestmark = pytest.mark.usefixtures("lenient_fairness")


def _checks(version):
    return {c.name: c for c in gates.approval_gates(version, current_policy(1)).checks}


@pytest.fixture
def ready(reviewed, victor):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    return reviewed


def test_a_protected_column_that_is_an_input_fails_the_check(ready, rita):
    ready.validation_dataset.columns = [
        {**c, "role": "protected"} if c["name"] == "age" else c
        for c in ready.validation_dataset.columns]
    ready.validation_dataset.save()
    check = _checks(ready)["fairness:age:protected_input"]
    assert not check.passed and "protected attribute in dataset 'validation'" in check.detail
    with pytest.raises(GateFailed, match="age is a model input"):
        sign(rita, ready)


def test_protected_columns_that_are_not_inputs_pass(ready):
    assert not [name for name in _checks(ready) if name.endswith(":protected_input")]


def test_a_proxy_marked_by_the_owner_fails_until_a_risk_officer_excepts_it(ready, olivia,
                                                                           rita):
    mark_proxy_feature(actor=olivia, version=ready, feature="amount",
                       reason="tracks income, which tracks sex in this book")
    assert not _checks(ready)["fairness:amount:protected_input"].passed
    grant_fairness_exception(actor=rita, version=ready,
                             check_name="fairness:amount:protected_input",
                             justification="Amount is the credit asked for: a legitimate "
                                           "business necessity, reviewed by legal.")
    check = _checks(ready)["fairness:amount:protected_input"]
    assert check.passed and check.exception.startswith("Amount is the credit")
    assert sign(rita, ready).kind == "approve"


def test_only_the_owner_or_a_risk_officer_marks_proxies(ready, dan, victor):
    for user in (dan, victor):
        with pytest.raises(SeparationOfDuties):
            mark_proxy_feature(actor=user, version=ready, feature="amount",
                               reason="tracks income closely")


def test_the_owner_marks_a_proxy_from_the_page(ready, olivia):
    client = Client()
    client.force_login(olivia)
    response = client.post("/models/credit-pd/versions/1/proxies/",
                           {"feature": "duration", "reason": "short"})
    assert response.status_code == 422 and b"10 characters" in response.content
    response = client.post("/models/credit-pd/versions/1/proxies/",
                           {"feature": "duration", "reason": "stands in for age"})
    assert response.status_code == 302
    assert "fairness:duration:protected_input" in _checks(ready)
