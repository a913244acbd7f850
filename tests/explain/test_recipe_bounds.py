"""Every recipe field of every kind has a type and a range: one request cannot keep the
only worker busy for good, fan out a message per row, or fail later in the worker."""

import pytest

from explain.errors import InvalidRecipe
from explain.recipes import DEFAULTS, SCHEMA, build_recipe
from tests.conftest import api_as

RESOLVED = {"threshold": 0.5, "methods": ["tree_path_dependent"],
            "method": "tree_path_dependent", "excluded": [], "reason_texts": {}}


def _start(client, version, kind, recipe):
    return client.post(f"/api/v1/versions/{version.pk}/evidence-runs/",
                       {"kind": kind, "recipe": recipe}, format="json")


@pytest.mark.parametrize(("kind", "recipe", "field"), [
    ("performance", {"bootstrap": 2_000_000_000}, "bootstrap"),
    ("performance", {"seed": "abc"}, "seed"),
    ("performance", {"seed": -1}, "seed"),
    ("performance", {"calibration_bins": 1}, "calibration_bins"),
    ("performance", {"threshold": 1.5}, "threshold"),
    ("performance", {"bootstrap": True}, "bootstrap"),
    ("scoring", {"chunk_rows": 1}, "chunk_rows"),
    ("shap", {"max_evals": 10**9}, "max_evals"),
    ("shap", {"background_size": 50_000}, "background_size"),
    ("shap", {"methods": ["kernel", "kernel"]}, "methods"),
    ("shap", {"sample_for_plots": 0}, "sample_for_plots"),
    ("reason_codes", {"max_reasons": 1000}, "max_reasons"),
    ("reason_codes", {"excluded": [["nested"]]}, "excluded"),
    ("reason_codes", {"reason_texts": {"age": 3}}, "reason_texts"),
    ("fairness", {"bins": {"age_years": [50, 18]}}, "bins"),
    ("fairness", {"intersections": "yes"}, "intersections"),
    ("fairness", {"bootstrap": 10_001}, "bootstrap"),
    ("drift", {"bins": 10_000}, "bins"),
    ("drift", {"epsilon": 5}, "epsilon"),
    ("drift", {"include_score": None}, "include_score"),
])
def test_out_of_range_or_mistyped_fields_are_a_400_naming_the_field(version, ci, kind, recipe,
                                                                     field):
    response = _start(api_as(ci, "register"), version, kind, recipe)
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["type"], body["field"]) == ("/api/problems/invalid-recipe", field)


def test_chunk_rows_may_not_split_a_dataset_into_more_than_a_thousand_chunks(version, ci):
    """chunk_rows is at least 10, and a large dataset needs larger chunks."""
    from explain.recipes import check_chunk_count

    check_chunk_count("scoring", {"chunk_rows": 10}, 10_000)
    with pytest.raises(InvalidRecipe, match="more than 1000 chunks") as refused:
        check_chunk_count("scoring", {"chunk_rows": 10}, 10_001)
    assert refused.value.extra["field"] == "chunk_rows"


@pytest.mark.parametrize("kind", list(DEFAULTS))
def test_the_defaults_of_every_kind_are_within_bounds(kind):
    recipe = build_recipe(kind, None, resolved=RESOLVED)
    assert set(recipe) == set(SCHEMA[kind])


def test_every_field_has_an_upper_bound():
    too_big = {"chunk_rows": 10**7, "bootstrap": 10**6, "seed": 2**40, "calibration_bins": 101,
               "background_size": 10**4, "interventional_max_rows": 10**6, "max_rows": 10**6,
               "max_evals": 10**5, "sample_for_plots": 10**4, "max_reasons": 11, "bins": 101,
               "epsilon": 1.0}
    for kind, fields in SCHEMA.items():
        for name in fields:
            if name in too_big and not (kind == "fairness" and name == "bins"):
                with pytest.raises(InvalidRecipe):
                    build_recipe(kind, {name: too_big[name]}, resolved=RESOLVED)
