"""The deploy gate reads the fairness engine's exact four-fifths result."""

import numpy as np

from explain.engines.fairness import fairness_report
from governance.workflow.gates import _four_fifths_check


def _summary(selected_a: int, rows_a: int, selected_b: int, rows_b: int) -> dict:
    y_pred = np.concatenate([np.repeat([1, 0], [selected_a, rows_a - selected_a]),
                             np.repeat([1, 0], [selected_b, rows_b - selected_b])])
    group = np.repeat(["a", "b"], [rows_a, rows_b])
    return fairness_report(np.zeros(len(y_pred), int), y_pred, {"g": group}).summary


def test_gate_passes_a_ratio_of_exactly_four_fifths():
    passed, detail = _four_fifths_check("g", _summary(30, 50, 60, 80), 0.8)
    assert passed and "0.800" in detail


def test_gate_fails_a_ratio_just_below_the_limit():
    passed, _ = _four_fifths_check("g", _summary(29, 50, 60, 80), 0.8)
    assert not passed


def test_gate_fails_when_no_group_is_large_enough_to_be_the_reference():
    passed, detail = _four_fifths_check("g", _summary(3, 5, 6, 8), 0.8)
    assert not passed and "no group has 30 rows" in detail
