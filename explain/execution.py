"""What a worker does for each kind of evidence: load the run's inputs by hash, call
the engines, and shape per-row results (a DataFrame, stored as Parquet) and a summary
(JSON, with the data the charts need).

Row-wise kinds (scoring, SHAP, reason codes) compute rows for a slice of the dataset,
so a large dataset is split into chunks that run in parallel; ``summarize`` then
works from the merged rows. Aggregate kinds (performance, fairness, drift) need every
row at once and run in one piece.
"""

import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explain.engines import fairness as fairness_engine
from explain.engines import outcomes
from explain.engines.drift import DriftRecipe, drift_report, is_categorical
from explain.engines.explainers import background_sample, explain
from explain.engines.performance import performance_report
from explain.engines.reason_codes import ReasonRecipe, reason_codes
from explain.engines.scoring import ModelLoadError, load_scoring_model
from explain.errors import EvidenceInputError
from explain.models import EvidenceRun
from registry.artifacts import SKOPS_TRUSTED_TYPES
from registry.blobs import read_blob
from registry.errors import BlobCorrupted, UnreadableDataset
from registry.onnx_tensors import external_tensors
from registry.tabular import read_frame

ROW_WISE = ("scoring", "shap", "reason_codes")
PLOT_SAMPLE_SEED = 0


def _never_stop() -> None:
    return None


@dataclass
class RunInputs:
    run: EvidenceRun
    model: object  # ScoringModel
    frame: pd.DataFrame
    reference: pd.DataFrame | None
    # Called between chunks, methods, groupings and bootstrap batches; the task sets one
    # that raises RunCancelled once the run was cancelled (cooperative cancellation).
    check_stop: Callable[[], None] = _never_stop

    @property
    def recipe(self) -> dict:
        return self.run.recipe

    def column_with_role(self, role: str) -> list[str]:
        return [c["name"] for c in self.run.dataset.columns if c["role"] == role]


def _frame(dataset) -> pd.DataFrame:
    try:
        return read_frame(read_blob(dataset.blob), dataset.format)
    except (BlobCorrupted, UnreadableDataset) as error:
        raise EvidenceInputError(f"Dataset {dataset.pk} ({dataset.name}): {error.detail}") \
            from None


def _refuse_onnx_external_data(artifact: bytes, version) -> None:
    """Registration refuses these; a version stored before that check (or a blob
    replaced on disk with a matching hash, which cannot happen) is refused here too."""
    import onnx

    try:
        external = external_tensors(onnx.load_model_from_string(artifact))
    except Exception:  # protobuf raises several kinds; onnxruntime will say it cannot load
        return
    if external:
        raise EvidenceInputError(f"The artifact of {version} stores tensors as external data "
                                 f"({'; '.join(external[:5])}); it is not scored.")


def load_inputs(run: EvidenceRun) -> RunInputs:
    version = run.version
    try:
        artifact = read_blob(version.artifact)
    except BlobCorrupted as error:
        raise EvidenceInputError(f"The artifact of {version}: {error.detail}") from None
    if version.artifact_format == "onnx":
        _refuse_onnx_external_data(artifact, version)
    try:
        model = load_scoring_model(artifact, version.artifact_format, version.feature_names,
                                   SKOPS_TRUSTED_TYPES)
    except ModelLoadError as error:
        raise EvidenceInputError(f"The artifact of {version} cannot be used: {error}") from None
    frame = _frame(run.dataset)
    reference = _frame(run.reference_dataset) if run.reference_dataset_id else None
    for name, data in (("dataset", frame), ("reference dataset", reference)):
        if data is not None and run.kind != "drift":
            missing = [f for f in model.feature_names if f not in data.columns]
            if missing:
                raise EvidenceInputError(f"The {name} lacks feature(s) the model needs: "
                                         f"{', '.join(missing)}.")
    return RunInputs(run, model, frame, reference)


def chunk_bounds(inputs: RunInputs) -> list[tuple[int, int]]:
    rows = len(inputs.frame)
    if inputs.run.kind not in ROW_WISE or rows == 0:
        return [(0, rows)]
    size = inputs.recipe["chunk_rows"]
    return [(start, min(start + size, rows)) for start in range(0, rows, size)]


# ---- row-wise kinds --------------------------------------------------------------------------

def _ids(inputs: RunInputs, start: int, stop: int) -> pd.DataFrame:
    rows = pd.DataFrame({"row": np.arange(start, stop)})
    for name in inputs.column_with_role("id")[:1]:
        rows["id"] = inputs.frame[name].iloc[start:stop].astype(str).to_numpy()
    return rows


def _sampled(total: int, cap: int, seed: int) -> np.ndarray:
    """Positions (sorted) of a seeded sample of ``cap`` rows out of ``total``."""
    if total <= cap:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, cap, replace=False))


def _background(inputs: RunInputs) -> pd.DataFrame:
    source = inputs.reference if inputs.reference is not None else inputs.frame
    return background_sample(inputs.model.features(source), inputs.recipe["background_size"],
                             inputs.recipe["seed"])


def _explain_rows(inputs: RunInputs, method: str, start: int, stop: int,
                  cap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(positions, values) for the rows of [start, stop) that ``method`` explains; capped
    methods explain a seeded sample of the whole dataset, the same whatever the chunks."""
    recipe = inputs.recipe
    chosen = np.arange(start, stop)
    if cap is not None:
        sample = _sampled(len(inputs.frame), cap, recipe["seed"])
        chosen = sample[(sample >= start) & (sample < stop)]
    if len(chosen) == 0:
        return chosen, np.zeros((0, len(inputs.model.feature_names) + 1))
    result = explain(inputs.model, inputs.frame.iloc[chosen], method=method,
                     background=None if method == "tree_path_dependent" else _background(inputs),
                     background_size=recipe["background_size"],
                     max_evals=recipe["max_evals"], seed=recipe["seed"])
    return chosen[result.rows], result.values


def _shap_output(inputs: RunInputs, method: str) -> str:
    if method == "tree_path_dependent" or (inputs.model.objective == "regression"
                                           and method == "tree_interventional"):
        return "margin"
    return "prediction" if inputs.model.objective == "regression" else "probability"


def _shap_columns(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}__{name}" for name in names] + [f"{prefix}__bias"]


def _method_cap(recipe: dict, method: str) -> int | None:
    if method == "tree_path_dependent":
        return None
    if method == "tree_interventional":
        return recipe.get("interventional_max_rows", recipe["max_rows"])
    return recipe["max_rows"]


def rows_scoring(inputs: RunInputs, start: int, stop: int) -> pd.DataFrame:
    scores = inputs.model.score(inputs.frame.iloc[start:stop])
    rows = _ids(inputs, start, stop)
    if inputs.model.objective == "regression":
        rows["prediction"], rows["margin"] = scores.prediction, scores.margin
    elif inputs.model.objective == "multiclass":
        classes = inputs.model.classes
        decided = scores.decided_class
        rows["decided_class"] = [classes[i] if i >= 0 else None for i in decided]
        rows["probability"] = scores.probability
        for index, label in enumerate(classes):
            rows[f"probability__{label}"] = scores.class_probabilities[:, index]
    else:
        rows["probability"], rows["margin"] = scores.probability, scores.margin
    return rows


def rows_shap(inputs: RunInputs, start: int, stop: int) -> pd.DataFrame:
    if inputs.model.objective == "multiclass":
        raise EvidenceInputError("SHAP runs for multiclass models are not available yet (the "
                                 "engine gives [rows, features + 1, classes]; the run's "
                                 "storage and pages take one output).")
    rows = _ids(inputs, start, stop)
    names = inputs.model.feature_names
    for method in inputs.recipe["methods"]:
        inputs.check_stop()
        positions, values = _explain_rows(inputs, method, start, stop,
                                          _method_cap(inputs.recipe, method))
        block = np.full((stop - start, len(names) + 1), np.nan)
        block[positions - start] = values
        rows[_shap_columns(method, names)] = block
    return rows


def rows_reason_codes(inputs: RunInputs, start: int, stop: int) -> pd.DataFrame:
    require_binary(inputs, "Adverse-action reason codes")
    recipe = inputs.recipe
    method = recipe["method"]
    positions, values = _explain_rows(inputs, method, start, stop, _method_cap(recipe, method))
    features = inputs.model.features(inputs.frame.iloc[positions])
    score = inputs.model.score(inputs.frame.iloc[positions]).probability
    result = reason_codes(values, features, score, _reason_recipe(recipe))
    rows = _ids(inputs, start, stop).set_index("row").loc[positions].reset_index()
    rows["score"] = score
    rows["declined"] = False
    for k in range(recipe["max_reasons"]):
        rows[f"reason_{k + 1}"] = None
        rows[f"reason_{k + 1}_text"] = None
        rows[f"reason_{k + 1}_contribution"] = np.nan
        rows[f"reason_{k + 1}_value_missing"] = False
    for applicant in result["applicants"]:
        at = applicant["row"]
        rows.loc[at, "declined"] = True
        for k, reason in enumerate(applicant["reasons"]):
            rows.loc[at, f"reason_{k + 1}"] = reason["feature"]
            rows.loc[at, f"reason_{k + 1}_text"] = reason["reason"]
            rows.loc[at, f"reason_{k + 1}_contribution"] = reason["contribution"]
            rows.loc[at, f"reason_{k + 1}_value_missing"] = reason["value_missing"]
    return rows


def _reason_recipe(recipe: dict) -> ReasonRecipe:
    return ReasonRecipe(threshold=recipe["threshold"], decline_when=recipe["decline_when"],
                        max_reasons=recipe["max_reasons"],
                        excluded=tuple(recipe["excluded"] or ()),
                        reason_texts=dict(recipe["reason_texts"] or {}))


def summarize_scoring(inputs: RunInputs, rows: pd.DataFrame) -> dict:
    objective = inputs.model.objective
    probability = rows["prediction" if objective == "regression" else "probability"].to_numpy()
    scored = probability[~np.isnan(probability)]
    if objective == "regression":
        counts, edges = np.histogram(scored, bins=20) if len(scored) else \
            (np.zeros(20, int), np.linspace(0, 1, 21))
    else:
        counts, edges = np.histogram(scored, bins=20, range=(0, 1))
    extra: dict = {"objective": objective,
                   "unseen_categories": inputs.model.unseen_categories(inputs.frame)}
    if objective == "multiclass":
        shares = rows["decided_class"].value_counts()
        extra["classes"] = inputs.model.classes
        extra["decided_class_counts"] = {label: int(shares.get(label, 0))
                                         for label in inputs.model.classes}
    return extra | {"rows": len(rows), "unscored_rows": int(np.isnan(probability).sum()),
            "mean_probability": float(scored.mean()) if len(scored) else None,
            "quantiles": {f"p{q}": float(np.quantile(scored, q / 100)) for q in
                          (1, 5, 25, 50, 75, 95, 99)} if len(scored) else {},
            "histogram": {"edges": edges.tolist(), "counts": counts.tolist()}}


def summarize_shap(inputs: RunInputs, rows: pd.DataFrame) -> dict:
    names = inputs.model.feature_names
    recipe = inputs.recipe
    methods = {}
    for method in recipe["methods"]:
        values = rows[_shap_columns(method, names)].to_numpy()
        explained = values[~np.isnan(values[:, -1])]
        means = np.abs(explained[:, :-1]).mean(axis=0) if len(explained) else \
            np.zeros(len(names))
        order = np.argsort(-means, kind="stable")
        methods[method] = {
            "output": _shap_output(inputs, method),
            "rows_explained": len(explained),
            "base_value": float(explained[0, -1]) if len(explained) else None,
            "importance": {names[i]: float(means[i]) for i in order}}
    primary = recipe["methods"][0]
    values = rows[_shap_columns(primary, names)].to_numpy()
    explained_rows = np.flatnonzero(~np.isnan(values[:, -1]))
    sample = explained_rows[_sampled(len(explained_rows), recipe["sample_for_plots"],
                                     PLOT_SAMPLE_SEED)]
    features = inputs.model.features(inputs.frame.iloc[rows["row"].to_numpy()[sample]])
    top = list(methods[primary]["importance"])
    return {"methods": methods, "primary": primary, "rows": len(rows),
            "rows_with_missing_values": _rows_with_missing_values(inputs),
            "plot_sample": {"features": top,
                            "shap": values[sample][:, [names.index(f) for f in top]].tolist(),
                            "values": features[top].to_numpy().tolist()}}


def summarize_reason_codes(inputs: RunInputs, rows: pd.DataFrame) -> dict:
    recipe = inputs.recipe
    declined = rows[rows["declined"]]
    k = recipe["max_reasons"]
    named = pd.concat([declined[f"reason_{i + 1}"] for i in range(k)]).dropna()
    texts = pd.concat([declined[f"reason_{i + 1}_text"] for i in range(k)]).dropna()
    mapped = dict(recipe["reason_texts"] or {})
    applicants = []
    for _, row in declined.head(25).iterrows():
        applicants.append({
            "row": int(row["row"]), "id": row.get("id"), "score": float(row["score"]),
            "reasons": [{"feature": row[f"reason_{i + 1}"], "reason": row[f"reason_{i + 1}_text"],
                         "contribution": float(row[f"reason_{i + 1}_contribution"]),
                         "value_missing": bool(row[f"reason_{i + 1}_value_missing"])}
                        for i in range(k) if isinstance(row[f"reason_{i + 1}"], str)]})
    return {"rows_explained": len(rows), "declined": len(declined),
            "declined_without_reason": int(declined["reason_1"].isna().sum()),
            "rows_with_missing_values": _rows_with_missing_values(inputs),
            "reason_frequency": texts.value_counts().to_dict(),
            "unmapped_features": sorted(set(named) - set(mapped)),
            "excluded": list(recipe["excluded"] or []),
            "applicants": applicants,
            "waterfall": _waterfall(inputs, declined)}


def _waterfall(inputs: RunInputs, declined: pd.DataFrame) -> dict | None:
    """The full explanation of the first declined applicant, for the waterfall chart."""
    if declined.empty:
        return None
    position = int(declined["row"].iloc[0])
    method = inputs.recipe["method"]
    explained, values = _explain_rows(inputs, method, position, position + 1, None)
    if not len(explained):
        return None
    names = inputs.model.feature_names
    features = inputs.model.features(inputs.frame.iloc[[position]]).iloc[0]
    identifier = declined["id"].iloc[0] if "id" in declined.columns else None
    return {"row": position, "id": None if identifier is None else str(identifier),
            "output": "margin" if method == "tree_path_dependent" else "probability",
            "base_value": float(values[0, -1]),
            "contributions": {name: float(values[0, i]) for i, name in enumerate(names)},
            "values": {name: _plain(features[name]) for name in names}}


def _rows_with_missing_values(inputs: RunInputs) -> int:
    return int(inputs.model.features(inputs.frame).isna().any(axis=1).sum())


def _plain(value):
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


ROW_FUNCTIONS = {"scoring": (rows_scoring, summarize_scoring),
                 "shap": (rows_shap, summarize_shap),
                 "reason_codes": (rows_reason_codes, summarize_reason_codes)}


# ---- aggregate kinds -------------------------------------------------------------------------

def _target(inputs: RunInputs) -> tuple[np.ndarray, np.ndarray]:
    """(0/1 target, mask of rows that have one); a target that is not 0/1 is refused."""
    name = inputs.column_with_role("target")[0]
    column = pd.to_numeric(inputs.frame[name], errors="coerce")
    present = column.notna().to_numpy()
    values = column.to_numpy()[present]
    if not np.isin(values, (0, 1)).all():
        raise EvidenceInputError(f"The target column {name!r} must hold 0 and 1 only.")
    target = np.zeros(len(column), dtype=np.int64)
    target[present] = values.astype(np.int64)
    return target, present


def require_binary(inputs: RunInputs, what: str) -> None:
    objective = inputs.model.objective
    if objective != "binary":
        raise EvidenceInputError(f"{what} is not available for {objective} models yet; it "
                                 "needs a binary classifier.")


def _scored_with_target(inputs: RunInputs):
    target, present = _target(inputs)
    scores = inputs.model.score(inputs.frame)
    usable = present & ~np.isnan(scores.probability)
    if len(np.unique(target[usable])) < 2:
        raise EvidenceInputError("The target has only one class in the scored rows, so AUC, "
                                 "Gini, KS and the fairness error rates are undefined.")
    return target, scores, usable, int((~present).sum())


def _other_performance(inputs: RunInputs) -> tuple[pd.DataFrame, dict]:
    """Regression and multiclass performance: rows with a target and a score."""
    recipe = inputs.recipe
    model = inputs.model
    name = inputs.column_with_role("target")[0]
    column = inputs.frame[name]
    scores = model.score(inputs.frame)
    rows = _ids(inputs, 0, len(inputs.frame))
    scored = ~np.isnan(scores.probability)
    try:
        if model.objective == "regression":
            target = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
            if np.isinf(target).any():
                raise EvidenceInputError(f"The target column {name!r} holds infinite values.")
            present = ~np.isnan(target)
            usable = present & scored
            report = outcomes.regression_report(
                target[usable], scores.prediction[usable], n_boot=recipe["bootstrap"],
                seed=recipe["seed"], calibration_bins=recipe["calibration_bins"])
            rows["target"], rows["prediction"] = target, scores.prediction
        else:
            present = column.notna().to_numpy()
            usable = present & scored
            labels = column[usable].map(_class_label).to_numpy()
            report = outcomes.multiclass_report(labels, scores.class_probabilities[usable],
                                                model.classes)
            rows["target"] = column.map(_class_label).where(column.notna(), None)
            rows["decided_class"] = [model.classes[i] if i >= 0 else None
                                     for i in scores.decided_class]
    except ValueError as error:
        raise EvidenceInputError(f"Performance of the {model.objective} model: {error}.") \
            from None
    report |= {"rows_without_target": int((~present).sum()),
               "unscored_rows": scores.unscored_rows}
    return rows, report


def _class_label(value) -> str:
    """A target value as the model's class label: 2.0 and 2 are class "2"."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def compute_performance(inputs: RunInputs) -> tuple[pd.DataFrame, dict]:
    if inputs.model.objective != "binary":
        return _other_performance(inputs)
    recipe = inputs.recipe
    target, scores, usable, no_target = _scored_with_target(inputs)
    report = performance_report(target[usable], scores.probability[usable],
                                threshold=recipe["threshold"], n_boot=recipe["bootstrap"],
                                seed=recipe["seed"], calibration_bins=recipe["calibration_bins"],
                                check=inputs.check_stop)
    report |= {"rows_without_target": no_target, "unscored_rows": scores.unscored_rows,
               "threshold": recipe["threshold"]}
    rows = _ids(inputs, 0, len(inputs.frame))
    rows["target"] = np.where(usable, target, -1)
    rows["probability"] = scores.probability
    return rows, report


def _attribute_values(inputs: RunInputs, name: str, bins_used: dict,
                      unknown: dict) -> np.ndarray:
    column = inputs.frame[name]
    edges = inputs.recipe["bins"].get(name)
    numeric = pd.api.types.is_numeric_dtype(column)
    if edges is None and numeric and column.nunique() > 10:
        # No stored edges for a continuous attribute: quartiles of this dataset, recorded.
        edges = np.unique(np.quantile(column.dropna(), [0, 0.25, 0.5, 0.75, 1])).tolist()
        edges[-1] = edges[-1] + 1e-9
    missing = column.isna().to_numpy()
    unknown[name] = int(missing.sum())
    if edges is not None:
        bins_used[name] = edges
        labels = np.full(len(column), "unknown", dtype=object)
        try:
            labels[~missing] = fairness_engine.bin_attribute(column[~missing], edges)
        except ValueError as error:
            raise EvidenceInputError(f"Binning of {name!r}: {error}") from None
        return labels
    values = column.astype(str).to_numpy(dtype=object)
    values[missing] = "unknown"
    return values


def compute_fairness(inputs: RunInputs) -> tuple[pd.DataFrame, dict]:
    require_binary(inputs, "Fairness (selection rates and error rates by group)")
    recipe = inputs.recipe
    target, scores, usable, no_target = _scored_with_target(inputs)
    probability = scores.probability[usable]
    if recipe["favourable"] == "below_threshold":
        decision, outcome, score = probability < recipe["threshold"], target[usable] == 0, \
            1 - probability
    else:
        decision, outcome, score = probability >= recipe["threshold"], target[usable] == 1, \
            probability
    protected = inputs.column_with_role("protected")
    bins_used: dict = {}
    unknown: dict = {}
    attributes = {name: _attribute_values(inputs, name, bins_used, unknown)[usable]
                  for name in protected}
    groupings = [(name,) for name in protected]
    if recipe["intersections"] and len(protected) > 1:
        groupings += list(itertools.combinations(protected, 2))
        if len(protected) > 2:
            groupings.append(tuple(protected))
    reports = []
    for grouping in groupings:
        inputs.check_stop()
        report = fairness_engine.fairness_report(
            outcome.astype(int), decision.astype(int), {n: attributes[n] for n in grouping},
            scores=score, n_boot=recipe["bootstrap"], seed=recipe["seed"],
            undefined_rates=recipe.get("undefined_rates", "exclude"),
            min_reference_size=recipe.get("min_reference_size", 30),
            alpha=recipe.get("alpha", 0.05), check=inputs.check_stop)
        reports.append({"attributes": list(grouping), "groups": report.groups,
                        "summary": report.summary,
                        "confidence_intervals": report.confidence_intervals})
    rows = _ids(inputs, 0, len(inputs.frame)).loc[usable].reset_index(drop=True)
    rows["favourable_decision"], rows["favourable_outcome"] = decision, outcome
    for name in protected:
        rows[f"group__{name}"] = attributes[name]
    summary = {"threshold": recipe["threshold"], "favourable": recipe["favourable"],
               "undefined_rates": recipe.get("undefined_rates", "exclude"),
               "min_reference_size": recipe.get("min_reference_size", 30),
               "alpha": recipe.get("alpha", 0.05),
               "rows": int(usable.sum()), "rows_without_target": no_target,
               "unscored_rows": scores.unscored_rows, "bins_used": bins_used,
               "unknown_attribute_values": unknown, "groupings": reports,
               "small_groups": sorted({" & ".join(g["group"].values()) for r in reports
                                       for g in r["groups"]
                                       if g["count"] < recipe.get("min_reference_size", 30)})}
    return rows, summary


def compute_drift(inputs: RunInputs) -> tuple[None, dict]:
    recipe = inputs.recipe
    names = inputs.model.feature_names

    def columns(frame: pd.DataFrame) -> dict:
        found = {}
        for name in names:
            if name in frame.columns:
                column = frame[name]
                # String and category columns are compared per category, as they are.
                found[name] = column if is_categorical(column) else \
                    pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
        if recipe["include_score"] and all(n in frame.columns for n in names):
            found["model score"] = inputs.model.score(frame).probability
        return found

    report = drift_report(columns(inputs.reference), columns(inputs.frame),
                          DriftRecipe(recipe["binning"], recipe["bins"], recipe["epsilon"],
                                      recipe.get("category_threshold", 10)))
    report["missing_features_in_comparison"] = [n for n in names
                                                if n not in inputs.frame.columns]
    report["reference_rows"], report["comparison_rows"] = len(inputs.reference), \
        len(inputs.frame)
    return None, report


AGGREGATE_FUNCTIONS = {"performance": compute_performance, "fairness": compute_fairness,
                       "drift": compute_drift}


# ---- results -------------------------------------------------------------------------------

def to_parquet(rows: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    rows.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


def json_safe(value):
    """JSON for the summary: NaN and infinities become null (PostgreSQL's jsonb and
    strict JSON parsers reject them), numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
