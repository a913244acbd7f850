import pytest
from django.db import transaction

from registry.models import ModelVersion, RegisteredModel
from tests.robustness.seed import seed


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, training_frame, xgb_json, xgb_ubj):
    """The seed, built once per module inside a transaction that is rolled back at the
    module's end; each test runs in a savepoint of it (the ``db`` fixture)."""
    frame = training_frame.copy()
    frame["age_years"] = frame["age"]
    with django_db_blocker.unblock(), transaction.atomic():
        people = seed(frame, (xgb_json, xgb_ubj))
        starts = ["/", "/dashboard/", "/policies/", "/audit/"]
        starts += [f"/models/{slug}/" for slug in
                   RegisteredModel.objects.values_list("slug", flat=True)]
        starts += [f"/models/{v.model.slug}/versions/{v.number}/"
                   for v in ModelVersion.objects.select_related("model")]
        yield people, starts
        transaction.set_rollback(True)
