"""Small uploads that decode into huge ones are refused from their metadata, before
anything decodes them: the web process's memory stays bounded (measured as the growth
of peak RSS in a fresh process, not as time)."""

import os

import pytest

from registry.models import Blob
from tests.conftest import register, upload_dataset
from tests.upload_bombs import (
    csv_with_columns,
    measure_inspection,
    parquet_of_constant_rows,
    skops_expanding_to,
)

# What inspecting any bomb may add to the process's peak RSS. Decoding them takes
# gigabytes (the issue measured 1.5 GB for the skops file and 4.1 GB for the Parquet).
PEAK_GROWTH_BOUND_KIB = 64 * 1024


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {"csv": csv_with_columns(folder / "wide.csv"),
            "parquet": parquet_of_constant_rows(folder / "long.parquet"),
            "skops": skops_expanding_to(folder / "model.skops")}


def _problem(response, setting):
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert (response.status_code, body["type"]) == (
        413, "/api/problems/upload-too-large-when-decoded"), body
    assert body["setting"] == setting
    assert Blob.objects.count() == 0
    return body


def test_a_csv_with_200000_columns_is_refused_from_its_header(ci_api, bombs):
    response = upload_dataset(ci_api, bombs["csv"].read_bytes(), name="wide.csv", roles={})
    assert _problem(response, "ASSAY_DATASET_MAX_COLUMNS")["actual"] == 200_000


def test_a_small_parquet_of_200_million_rows_is_refused_from_its_footer(ci_api, bombs):
    data = bombs["parquet"].read_bytes()
    assert len(data) < 2_000_000
    response = upload_dataset(ci_api, data, name="long.parquet", roles={})
    assert _problem(response, "ASSAY_DATASET_MAX_ROWS")["actual"] == 200_000_000


def test_a_1_mb_skops_file_inflating_to_1_gib_is_refused_from_its_directory(ci_api, bombs):
    data = bombs["skops"].read_bytes()
    assert len(data) < 1_100_000
    response = register(ci_api, "credit-pd", data, name="model.skops")
    assert _problem(response, "ASSAY_UPLOAD_MAX_COMPRESSION_RATIO")["actual"] > 1000


def test_limits_come_from_settings(ci_api, dataset_csv, settings):
    settings.ASSAY_DATASET_MAX_ROWS = 100  # the fixture has 300 rows
    response = upload_dataset(ci_api, dataset_csv)
    assert _problem(response, "ASSAY_DATASET_MAX_ROWS")["limit"] == 100


def test_ordinary_uploads_are_still_accepted(ci_api, dataset_csv, skops_bytes):
    assert upload_dataset(ci_api, dataset_csv).status_code == 201
    assert register(ci_api, "credit-pd", skops_bytes, name="m.skops").status_code == 201


@pytest.mark.parametrize(("bomb", "what"), [("csv", "dataset"), ("parquet", "dataset"),
                                            ("skops", "artifact")])
def test_inspecting_a_bomb_keeps_peak_memory_bounded(bombs, bomb, what):
    measured = measure_inspection(bombs[bomb], what, dict(os.environ))
    assert measured["status"] == 413, measured
    growth = measured["peak_after_kib"] - measured["peak_before_kib"]
    assert growth < PEAK_GROWTH_BOUND_KIB, measured
