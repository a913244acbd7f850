"""A feature name is any string: the SHAP page and its dependence charts work for
``debt/income``, ``a?b`` and ``x.svg#y`` (they travel in the query, not the path)."""

import re
from html import unescape

import pytest

from tests.explain.conftest import execute, run_of


@pytest.mark.parametrize("feature", ["debt/income", "a?b&c=d", "x.svg#y", "100% über"])
def test_shap_page_and_its_dependence_chart_work_for_any_feature_name(client, rita, version,
                                                                      feature):
    run = execute(run_of(version, "shap"))
    method = run.summary["primary"]
    run.summary["methods"][method]["importance"] = {feature: 1.0}
    run.charts[f"dependence-{feature}"] = '<?xml version="1.0"?><svg>dependence</svg>'
    run.save(update_fields=["summary", "charts"])
    client.force_login(rita)
    page = client.get(f"/evidence/{run.pk}/")
    assert page.status_code == 200
    src = [unescape(s) for s in re.findall(r'src="([^"]*dependence[^"]*)"', page.content.decode())]
    assert len(src) == 1
    chart = client.get(src[0])
    assert chart.status_code == 200 and b"dependence" in chart.content


def test_an_unknown_dependence_feature_is_404(client, rita, version):
    run = execute(run_of(version, "shap"))
    client.force_login(rita)
    assert client.get(f"/evidence/{run.pk}/charts/dependence.svg",
                      {"of": "no/such"}).status_code == 404
