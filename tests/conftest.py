import contextlib
import io
import json
import os
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from registry import roles
from registry.models import RegisteredModel
from registry.services import create_api_token

FEATURES = ["duration", "amount", "age"]


def _ensure_roles():
    """Transactional tests flush the tables, the groups and policies made by migrations
    included."""
    import importlib

    from django.apps import apps

    if not Group.objects.filter(name=roles.AUDITOR).exists():
        importlib.import_module("registry.migrations.0002_roles").create_roles(apps, None)
        importlib.import_module("governance.workflow.migrations.0002_default_policies"
                                ).create_default_policies(apps, None)
        importlib.import_module("governance.workflow.migrations.0003_validation_signoff"
                                ).require_signoff_for_tiers_1_and_2(apps, None)
        importlib.import_module("governance.workflow.migrations.0007_owner_excluded"
                                ).exclude_owners_by_default(apps, None)


def _user(username, *groups, **extra):
    _ensure_roles()
    user = User.objects.create_user(username, password=f"{username}-pass-123!", **extra)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def olivia(db):
    """Owner of the credit model, a model developer."""
    return _user("olivia", roles.MODEL_DEVELOPER, first_name="Olivia", last_name="Owen")


@pytest.fixture
def dan(db):
    """Developer of the credit model."""
    return _user("dan", roles.MODEL_DEVELOPER)


@pytest.fixture
def victor(db):
    return _user("victor", roles.VALIDATOR)


@pytest.fixture
def rita(db):
    return _user("rita", roles.RISK_OFFICER)


@pytest.fixture
def ada(db):
    return _user("ada", roles.AUDITOR)


@pytest.fixture
def ci(db):
    return _user("ci", roles.CI_SERVICE)


@pytest.fixture
def nobody(db):
    """Logged in, but no role and no model."""
    return _user("nobody")


@pytest.fixture
def credit_model(olivia, dan, victor, ci):
    model = RegisteredModel.objects.create(
        slug="credit-pd", name="Credit PD", purpose="Probability of default", owner=olivia,
        developer=dan, validator=victor, risk_tier=1, tier_rationale="consumer credit")
    model.ci_accounts.add(ci)
    return model


@pytest.fixture
def other_model(olivia):
    return RegisteredModel.objects.create(
        slug="fraud", name="Fraud", purpose="Fraud score", owner=olivia, risk_tier=2,
        tier_rationale="transactions")


def token_for(user, *scopes, lifetime=timedelta(days=1), models=()):
    _, plaintext = create_api_token(actor=None, user=user, name="test", scopes=list(scopes),
                                    lifetime=lifetime, models=list(models))
    return plaintext


def api_as(user, *scopes, **kwargs) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, *scopes, **kwargs)}")
    return client


@pytest.fixture
def ci_api(ci, credit_model):
    return api_as(ci, "register", "read")


@pytest.fixture(scope="session")
def training_frame():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"duration": rng.integers(6, 72, 300),
                          "amount": rng.normal(3000, 1000, 300),
                          "age": rng.integers(19, 75, 300)})
    frame["default"] = (frame.duration / 72 + rng.random(300) > 1.0).astype(int)
    frame["sex"] = rng.choice(["male", "female"], 300)
    return frame


@pytest.fixture(scope="session")
def xgb_booster(training_frame):
    import xgboost

    return xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(
        training_frame[FEATURES], training_frame["default"]).get_booster()


@pytest.fixture(scope="session")
def xgb_json(xgb_booster) -> bytes:
    return bytes(xgb_booster.save_raw("json"))


@pytest.fixture(scope="session")
def xgb_ubj(xgb_booster) -> bytes:
    return bytes(xgb_booster.save_raw("ubj"))


@pytest.fixture(scope="session")
def lgbm_text(training_frame) -> bytes:
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(
        training_frame[FEATURES], training_frame["default"])
    return model.booster_.model_to_string().encode()


@pytest.fixture(scope="session")
def skops_bytes(training_frame) -> bytes:
    import skops.io
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(training_frame[FEATURES], training_frame["default"])
    return skops.io.dumps(model)


@pytest.fixture(scope="session")
def onnx_bytes() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.array([[0.1], [0.0002], [-0.01]], dtype=np.float32),
                                      "weights")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "weights"], ["margin"]),
         helper.make_node("Sigmoid", ["margin"], ["probability"])],
        "credit", [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None, 1])],
        initializer=[weights])
    model = helper.make_model(graph, producer_name="assay-tests", producer_version="1")
    return model.SerializeToString()


@pytest.fixture(scope="session")
def dataset_csv(training_frame) -> bytes:
    return training_frame.to_csv(index=False).encode()


def register(client, slug, artifact: bytes | None, name="model.json", metadata=None,
             **headers):
    """POST a multipart registration; ``metadata`` may be a dict or a raw string."""
    payload = {"metadata": metadata if isinstance(metadata, str) else json.dumps(metadata or {})}
    if artifact is not None:
        upload = io.BytesIO(artifact)
        upload.name = name
        payload["artifact"] = upload
    return client.post(f"/api/v1/models/{slug}/versions/", payload, format="multipart",
                       **headers)


def upload_dataset(client, data: bytes, name="train.csv", roles=None):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/api/v1/datasets/", {
        "file": upload, "name": name.rsplit(".", 1)[0],
        "roles": json.dumps(roles if roles is not None else {"target": "default",
                                                             "protected": ["sex"]})},
        format="multipart")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """A transactional test's flush recreates content types under new ids; the cached
    old ids would make the next admin LogEntry fail its foreign key (seen in the full
    suite only)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _broker_not_backing_off():
    """A failed broker send in one test must not make the next skip its sends."""
    from registry import broker

    broker.reset_backoff()
    yield
    broker.reset_backoff()


@pytest.fixture(autouse=True)
def _isolated_audit_anchors(settings, tmp_path):
    """Each test's anchors of the audit chain in its own folder: an anchor left by one
    test would (rightly) fail the next test's fresh, shorter chain."""
    settings.STORAGES = {**settings.STORAGES, "audit_anchors": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "anchors")}}}
    settings.ASSAY_AUDIT_ANCHOR_STORAGE = "audit_anchors"


# ---- CI guard: the PostgreSQL-only, worker and browser tests must really run ----------

_GUARDED = ("postgres", "worker", "browser")
_guarded_outcomes: dict[str, list[str]] = {marker: [] for marker in _GUARDED}


def pytest_runtest_logreport(report):
    for marker in _GUARDED:
        if marker in report.keywords and (report.when == "call" or report.skipped):
            _guarded_outcomes[marker].append(report.outcome)


def pytest_sessionfinish(session, exitstatus):
    import os

    if os.environ.get("ASSAY_REQUIRE_FULL_SUITE") != "1" or session.config.option.collectonly:
        return
    problems = [f"{marker}: {outcomes.count('skipped')} skipped, {outcomes.count('passed')} "
                "passed" for marker, outcomes in _guarded_outcomes.items()
                if "skipped" in outcomes or "passed" not in outcomes]
    if problems:
        print("\nASSAY_REQUIRE_FULL_SUITE: these tests must run in CI: " + "; ".join(problems))
        session.exitstatus = 1


def postgres_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


# ---- PostgreSQL: run the suite as the runtime role (ASSAY_TEST_RUNTIME_ROLE) ---------------
# The test database is created and migrated by DATABASE_URL's role (its owner); then every
# connection switches to a role granted only what `grant_runtime_role` grants, as in the
# supported deployment (INSERT and SELECT on the audit trail, owner of nothing). CI sets it.

RUNTIME_ROLE = os.environ.get("ASSAY_TEST_RUNTIME_ROLE", "")


def _set_runtime_role(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{RUNTIME_ROLE}"')


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection
    from django.db.backends.signals import connection_created

    if not RUNTIME_ROLE:
        yield
        return
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            from audit.database_roles import grant_runtime_privileges

            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [RUNTIME_ROLE])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE ROLE "{RUNTIME_ROLE}" NOLOGIN')
            grant_runtime_privileges(RUNTIME_ROLE)
            connection_created.connect(_set_runtime_role, dispatch_uid="assay-runtime-role")
            _set_runtime_role(None, connection)
    yield
    connection_created.disconnect(dispatch_uid="assay-runtime-role")


@contextlib.contextmanager
def as_database_owner(cursor):
    """What follows runs as DATABASE_URL's own role (the owner, a superuser in CI), not
    the runtime role: the tamper tests and the flush between transactional tests."""
    if RUNTIME_ROLE and cursor.db.vendor == "postgresql":
        cursor.execute("RESET ROLE")
        try:
            yield
        finally:
            cursor.execute(f'SET ROLE "{RUNTIME_ROLE}"')
    else:
        yield


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_audit_table():
    """Transactional tests end with a flush; only the test database may bypass the
    append-only triggers for it, as a superuser would (the tamper tests do the same)."""
    import contextlib
    import importlib

    from django.core.management.commands import flush
    from django.db import connections

    triggers = importlib.import_module("audit.migrations.0002_append_only_triggers")

    @contextlib.contextmanager
    def suspended(connection):
        with connection.cursor() as cursor, as_database_owner(cursor):
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
                try:
                    yield
                finally:
                    cursor.execute("SET session_replication_role = DEFAULT")
            else:
                for statement in triggers.SQLITE_REMOVE:
                    cursor.execute(statement)
                try:
                    yield
                finally:
                    for statement in triggers.SQLITE_INSTALL:
                        cursor.execute(statement)

    original = flush.Command.handle

    def handle(self, **options):
        with suspended(connections[options.get("database", "default")]):
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


# ---- Templates fail tests on a missing variable ---------------------------------------

class _MissingTemplateVariable(str):
    """``string_if_invalid`` that raises when one of Assay's own templates names a variable
    that does not exist (Django's admin and DRF's templates are not ours to fix)."""

    def __contains__(self, item):
        return item == "%s"

    def __mod__(self, name):
        import sys

        from django.conf import settings
        from django.template import TemplateSyntaxError
        from django.template.base import Node

        ours = str(settings.BASE_DIR / "templates")
        frame = sys._getframe(1)
        while frame is not None:
            node = frame.f_locals.get("self")
            if isinstance(node, Node) and getattr(node, "origin", None) is not None:
                if str(node.origin.name).startswith(ours):
                    raise TemplateSyntaxError(
                        f"missing template variable {name!r} in {node.origin.name}"
                        f" line {node.token.lineno if node.token else '?'}")
                return ""
            frame = frame.f_back
        return ""


@pytest.fixture(autouse=True, scope="session")
def _templates_refuse_missing_variables():
    from django.template import engines

    engine = engines["django"].engine
    original = engine.string_if_invalid
    engine.string_if_invalid = _MissingTemplateVariable("%s")
    yield
    engine.string_if_invalid = original
