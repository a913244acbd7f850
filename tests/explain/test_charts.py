"""Charts: drawn once when a run finishes, stored with it, and readable by a person
(category labels, the applicant's id, cut-off lines, how many features are shown)."""

import pytest

from explain import charts
from explain.charts import ChartContext
from registry.errors import DatasetSchemaMismatch
from registry.tabular import profile_dataset
from tests.explain.conftest import execute, run_of

NAMES = [f"feature_{i:02d}" for i in range(19)]


def _shap_summary(values, shap):
    return {"primary": "tree_path_dependent",
            "methods": {"tree_path_dependent": {
                "output": "margin", "importance": {n: 1.0 / (i + 1) for i, n in enumerate(NAMES)}}},
            "plot_sample": {"features": ["purpose", "amount"], "values": values, "shap": shap}}


def test_importance_chart_states_how_many_features_it_shows():
    svg = charts.shap_bar(_shap_summary([[0, 1]], [[0.1, 0.2]]))
    assert "top 15 of 19 features" in svg


def test_dependence_of_a_categorical_feature_is_labelled_with_its_categories():
    summary = _shap_summary([[0, 10.0], [1, 20.0], [2, 30.0]], [[0.1, 0], [-0.2, 0], [0.3, 0]])
    context = ChartContext(categories={"purpose": ["business", "car (new)", "education"]})
    svg = charts.shap_dependence(summary, "purpose", context)
    assert all(label in svg for label in ("business", "car (new)", "education"))
    assert ">0.5<" not in svg and ">1.5<" not in svg  # no half-step codes on the axis


def test_waterfall_names_the_applicant_by_the_id_column_and_draws_the_cut_off():
    summary = {"waterfall": {"row": 4, "id": "1042", "output": "margin", "base_value": -1.0,
                             "contributions": {"purpose": 0.8, "amount": 0.4},
                             "values": {"purpose": 1.0, "amount": 2500.0}}}
    context = ChartContext(categories={"purpose": ["business", "car (new)"]}, threshold=0.3,
                           id_column="applicant_id")
    svg = charts.waterfall(summary, context)
    assert "applicant applicant_id 1042" in svg
    assert "purpose = car (new)" in svg and "amount = 2500" in svg
    assert "cut-off 0.3" in svg


def test_score_histogram_draws_the_decision_cut_off():
    summary = {"histogram": {"edges": [i / 20 for i in range(21)], "counts": [1] * 20}}
    assert "decision cut-off 0.4" in charts.score_histogram(summary, ChartContext(threshold=0.4))


def test_same_summary_gives_the_same_svg():
    summary = _shap_summary([[0, 1], [1, 2]], [[0.1, 0.2], [0.3, -0.1]])
    assert charts.shap_beeswarm(summary) == charts.shap_beeswarm(summary)


def test_category_labels_are_declared_with_the_dataset():
    data = b"purpose,y\n0,1\n1,0\n"
    profile = profile_dataset(data, "d.csv", {"target": "y",
                                              "categories": {"purpose": ["business", "car"]}})
    assert profile.columns[0]["categories"] == ["business", "car"]
    with pytest.raises(DatasetSchemaMismatch, match="not in the file"):
        profile_dataset(data, "d.csv", {"categories": {"colour": ["red"]}})
    with pytest.raises(DatasetSchemaMismatch, match="code order"):
        profile_dataset(data, "d.csv", {"categories": {"purpose": "business"}})


def test_finished_run_stores_its_charts(version):
    shap = execute(run_of(version, "shap"))
    fairness = execute(run_of(version, "fairness"))
    top = list(shap.summary["methods"][shap.summary["primary"]]["importance"])[:3]
    assert {"importance", "beeswarm", *(f"dependence-{f}" for f in top)} <= set(shap.charts)
    assert set(fairness.charts) == {f"grouping-{i}"
                                    for i in range(len(fairness.summary["groupings"]))}
    assert all(svg.lstrip().startswith("<?xml") for svg in shap.charts.values())


def test_chart_page_serves_the_stored_chart_without_drawing(client, rita, version, monkeypatch):
    run = execute(run_of(version, "performance"))
    run.charts["roc"] = '<?xml version="1.0"?><svg>stored</svg>'
    run.save(update_fields=["charts"])
    monkeypatch.setattr(charts, "draw", lambda *a, **k: pytest.fail("drawn on a page view"))
    client.force_login(rita)
    response = client.get(f"/evidence/{run.pk}/charts/roc.svg")
    assert response.status_code == 200 and b"stored" in response.content
    assert client.get(f"/evidence/{run.pk}/charts/astrology.svg").status_code == 404
