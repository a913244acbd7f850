"""Evidence pages: allowed and denied, every chart draws, htmx partials."""

import pytest

from tests.explain.conftest import execute, run_of

KINDS = ["scoring", "performance", "shap", "reason_codes", "fairness", "drift"]


@pytest.fixture
def finished(version):
    return {kind: execute(run_of(version, kind)) for kind in KINDS}


def test_version_page_lists_the_runs(client, rita, version):
    client.force_login(rita)
    response = client.get(f"/models/credit-pd/versions/{version.number}/")
    assert response.status_code == 200 and b"Adverse-action reason codes" in response.content


def test_version_page_polls_while_runs_are_active(client, rita, version):
    client.force_login(rita)
    response = client.get(f"/models/credit-pd/versions/{version.number}/", HTTP_HX_REQUEST="1")
    assert b'hx-trigger="every 2s"' in response.content and b"<html" not in response.content


def test_version_page_is_denied_without_a_role(client, nobody, version):
    client.force_login(nobody)
    assert client.get(f"/models/credit-pd/versions/{version.number}/").status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_every_result_page_renders_and_its_charts_are_svg(client, rita, finished, kind):
    import html
    import re

    client.force_login(rita)
    page = client.get(f"/evidence/{finished[kind].pk}/")
    assert page.status_code == 200
    charts = re.findall(rb'src="(/evidence/\d+/charts/[^"]+\.svg(?:\?[^"]*)?)"', page.content)
    assert charts or kind == "reason_codes" and not finished[kind].summary["waterfall"]
    for url in charts:
        response = client.get(html.unescape(url.decode()))
        assert response.status_code == 200 and response.content.lstrip().startswith(b"<?xml")


def test_fairness_flags_are_shown(client, rita, finished):
    client.force_login(rita)
    summary = finished["fairness"].summary
    flagged = any(g["four_fifths_flag"] for r in summary["groupings"] for g in r["groups"])
    page = client.get(f"/evidence/{finished['fairness'].pk}/").content
    assert (b"below four-fifths" in page) == flagged


def test_unknown_chart_is_404(client, rita, finished):
    client.force_login(rita)
    assert client.get(f"/evidence/{finished['drift'].pk}/charts/astrology.svg").status_code == 404


def test_risk_officer_starts_a_run_from_the_page(client, rita, version):
    client.force_login(rita)
    response = client.post(f"/models/credit-pd/versions/{version.number}/evidence/",
                           {"kind": "performance", "dataset": ""})
    assert response.status_code == 302  # the identical policy run: its page
    assert response["Location"] == f"/evidence/{run_of(version, 'performance').pk}/"


def test_auditor_may_not_start_a_run(client, ada, version):
    client.force_login(ada)
    response = client.post(f"/models/credit-pd/versions/{version.number}/evidence/",
                           {"kind": "performance"})
    assert response.status_code == 403


def test_start_without_csrf_token_is_refused(rita, version):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rita)
    response = client.post(f"/models/credit-pd/versions/{version.number}/evidence/",
                           {"kind": "performance"})
    assert response.status_code == 403


def test_invalid_kind_shows_the_message_next_to_the_form(client, rita, version):
    client.force_login(rita)
    response = client.post(f"/models/credit-pd/versions/{version.number}/evidence/",
                           {"kind": "astrology"})
    assert response.status_code == 422 and b"Unknown evidence kind" in response.content


def test_failed_run_shows_why(client, rita, version):
    from registry.blobs import blob_storage

    with blob_storage().open(version.artifact.storage_name, "wb") as handle:
        handle.write(b"garbage")
    run = execute(run_of(version, "scoring"))
    client.force_login(rita)
    assert b"Why it failed" in client.get(f"/evidence/{run.pk}/").content


def test_finished_run_status_poll_asks_for_a_reload(client, rita, finished):
    client.force_login(rita)
    response = client.get(f"/evidence/{finished['drift'].pk}/", HTTP_HX_REQUEST="1")
    assert response["HX-Refresh"] == "true"
