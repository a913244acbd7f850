"""SVG charts of evidence summaries (matplotlib), for the pages and the PDF pack.

Every chart is drawn from a run's stored summary (and the dataset's category labels,
cut-off and id column, a ``ChartContext``), once, when the run finishes
(``draw_all``); the run keeps them in ``EvidenceRun.charts`` and the pages and the
audit pack reuse them. Text stays text in the SVG (searchable, sharp in print);
clouds of points are rasterised (a vector beeswarm of thousands of markers is slow to
lay out in a PDF). Colours carry meaning only together with a label or a pattern.
The output is deterministic: fixed ids (``svg.hashsalt``), no date, seeded jitter.
"""

import io
import math
import textwrap
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "assay"})

INK, BRAND, GOOD, WARN, BAD, MUTED = "#1d2733", "#1f5f99", "#1e7b3a", "#a86200", "#b3261e", \
    "#8a96a3"
PSI_BANDS = ((0.1, GOOD, "stable < 0.1"), (0.25, WARN, "moderate 0.1-0.25"),
             (float("inf"), BAD, "significant ≥ 0.25"))


DEPENDENCE_CHARTS = 3  # dependence plots drawn for the top features


class ChartUnavailable(LookupError):
    """The run's summary has no data for this chart."""


@dataclass(frozen=True)
class ChartContext:
    """What a chart needs besides the summary: category labels of coded columns
    ({column: [label of code 0, ...]}), the decision cut-off, the dataset's id column."""

    categories: dict[str, list[str]] = field(default_factory=dict)
    threshold: float | None = None
    id_column: str | None = None

    def value_label(self, feature: str, value) -> str:
        if value is None or isinstance(value, float) and math.isnan(value):
            return "missing"
        labels = self.categories.get(feature)
        if labels and float(value).is_integer() and 0 <= int(value) < len(labels):
            return labels[int(value)]
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


NO_CONTEXT = ChartContext()


def _wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=150)
    plt.close(figure)
    return buffer.getvalue()


def _of_total(shown: int, total: int, noun: str = "features") -> str:
    return f"top {shown} of {total} {noun}" if shown < total else f"all {total} {noun}"


def shap_bar(summary: dict, context: ChartContext = NO_CONTEXT, top: int = 15) -> str:
    method = summary["primary"]
    everything = list(summary["methods"][method]["importance"].items())
    importance = everything[:top][::-1]
    figure, axes = plt.subplots(figsize=(6.5, 0.3 * len(importance) + 1))
    axes.barh([_wrap(name, 40) for name, _ in importance],
              [value for _, value in importance], color=BRAND)
    unit = "log-odds" if summary["methods"][method]["output"] == "margin" else "probability"
    axes.set_xlabel(f"mean |SHAP value| ({unit})")
    axes.set_title("Which features drive the score overall "
                   f"({_of_total(len(importance), len(everything))})", loc="left")
    return _svg(figure)


def shap_beeswarm(summary: dict, context: ChartContext = NO_CONTEXT, top: int = 12) -> str:
    sample = summary["plot_sample"]
    names = sample["features"][:top]
    shap_values = np.asarray(sample["shap"], dtype=float)
    values = np.asarray(sample["values"], dtype=float)
    if shap_values.size == 0:
        raise ChartUnavailable("no explained rows")
    figure, axes = plt.subplots(figsize=(6.5, 0.35 * len(names) + 1.2))
    rng = np.random.default_rng(0)
    for position, name in enumerate(reversed(names)):
        column = sample["features"].index(name)
        feature = values[:, column]
        low, high = np.nanpercentile(feature, [5, 95]) if np.isfinite(feature).any() else (0, 1)
        scaled = np.clip((feature - low) / ((high - low) or 1), 0, 1)
        jitter = rng.uniform(-0.3, 0.3, len(feature))
        points = axes.scatter(shap_values[:, column], position + jitter, c=scaled, s=6,
                              cmap="coolwarm", vmin=0, vmax=1, linewidths=0, rasterized=True)
    axes.set_yticks(range(len(names)), [_wrap(name, 40) for name in reversed(names)])
    axes.axvline(0, color=MUTED, linewidth=0.8)
    axes.set_xlabel("SHAP value (impact on the score)")
    axes.set_title(f"Each dot is one applicant; colour is the feature's value\n"
                   f"({_of_total(len(names), len(sample['features']))}, "
                   f"{len(shap_values)} sampled rows)", loc="left")
    colorbar = figure.colorbar(points, ax=axes, ticks=[0, 1], aspect=30)
    colorbar.ax.set_yticklabels(["low", "high"])
    return _svg(figure)


def shap_dependence(summary: dict, feature: str, context: ChartContext = NO_CONTEXT) -> str:
    sample = summary["plot_sample"]
    if feature not in sample["features"]:
        raise ChartUnavailable(f"no dependence data for {feature}")
    column = sample["features"].index(feature)
    x = np.asarray(sample["values"], dtype=float)[:, column]
    y = np.asarray(sample["shap"], dtype=float)[:, column]
    labels = context.categories.get(feature)
    figure, axes = plt.subplots(figsize=(4.2, 3.4 if labels else 3))
    if labels:  # one column of dots per category, ticks named by the category's label
        jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(x))
        axes.scatter(x + jitter, y, s=7, color=BRAND, alpha=0.7, linewidths=0, rasterized=True)
        codes = sorted({int(v) for v in x[np.isfinite(x)] if 0 <= v < len(labels)})
        axes.set_xticks(codes, [_wrap(labels[code], 18) for code in codes], rotation=35,
                        ha="right", fontsize=7, rotation_mode="anchor")
    else:
        axes.scatter(x, y, s=7, color=BRAND, alpha=0.7, linewidths=0, rasterized=True)
    axes.axhline(0, color=MUTED, linewidth=0.8)
    axes.set_xlabel(_wrap(feature, 50))
    axes.set_ylabel("SHAP value")
    axes.set_title(_wrap(f"How {feature} moves the score", 45), loc="left")
    return _svg(figure)


def waterfall(summary: dict, context: ChartContext = NO_CONTEXT, top: int = 10) -> str:
    data = summary.get("waterfall")
    if not data:
        raise ChartUnavailable("no declined applicant")
    items = sorted(data["contributions"].items(), key=lambda kv: -abs(kv[1]))
    shown = [(_wrap(_feature_label(name, data["values"], context), 48), value)
             for name, value in items[:top]]
    if len(items) > top:
        shown.append((f"{len(items) - top} other features",
                      sum(value for _, value in items[top:])))
    lefts = data["base_value"] + np.concatenate([[0], np.cumsum([v for _, v in shown])[:-1]])
    figure, axes = plt.subplots(figsize=(6.5, 0.35 * len(shown) + 1.2))
    positions = np.arange(len(shown))[::-1]  # the largest contribution on top
    for position, left, (_, value) in zip(positions, lefts, shown, strict=True):
        axes.barh(position, value, left=left, color=BAD if value > 0 else GOOD)
        axes.text(left + value, position, f" {value:+.3f} ", va="center", fontsize=8,
                  ha="left" if value >= 0 else "right")
    axes.set_yticks(positions, [name for name, _ in shown])
    axes.axvline(data["base_value"], color=MUTED, linewidth=0.8, linestyle="--")
    unit = "log-odds" if data["output"] == "margin" else "probability"
    cut_off = _cut_off(context.threshold, data["output"])
    if cut_off is not None:
        axes.axvline(cut_off, color=BAD, linewidth=0.9, linestyle=":")
    axes.set_xlabel(f"score ({unit}) from the average applicant (dashed)"
                    + (f"; cut-off {context.threshold:g} (dotted red)" if cut_off is not None
                       else "") + "\nred bars push toward decline, green toward approval")
    axes.set_title(f"Why {_applicant(data, context)} was declined", loc="left")
    return _svg(figure)


def _applicant(data: dict, context: ChartContext) -> str:
    """The applicant as the tables name them: by the dataset's id column, else the row."""
    if data.get("id") not in (None, "") and context.id_column:
        return f"applicant {context.id_column} {data['id']}"
    if data.get("id") not in (None, ""):
        return f"applicant {data['id']}"
    return f"the applicant in row {data['row']}"


def _cut_off(threshold: float | None, output: str) -> float | None:
    if threshold is None or not 0 < threshold < 1:
        return None
    return math.log(threshold / (1 - threshold)) if output == "margin" else threshold


def _feature_label(name: str, values: dict, context: ChartContext = NO_CONTEXT) -> str:
    if name not in values:
        return name
    value = values[name]
    if value is None:
        return f"{name} (missing)"
    return f"{name} = {context.value_label(name, value)}"


def fairness_rates(summary: dict, grouping_index: int = 0,
                   context: ChartContext = NO_CONTEXT) -> str:
    grouping = summary["groupings"][grouping_index]
    groups = grouping["groups"]
    labels = [" & ".join(g["group"].values()) for g in groups]
    rates = np.array([np.nan if g["selection_rate"] is None else g["selection_rate"]
                      for g in groups])
    intervals = grouping.get("confidence_intervals", {}).get("selection_rate")
    figure, axes = plt.subplots(figsize=(6.5, 0.4 * len(groups) + 1.3))
    colours = [BAD if g["four_fifths_flag"] else BRAND for g in groups]
    positions = np.arange(len(groups))
    axes.barh(positions, rates, color=colours,
              hatch=["//" if g["four_fifths_flag"] else "" for g in groups])
    if intervals:
        low = np.array([np.nan if i[0] is None else i[0] for i in intervals])
        high = np.array([np.nan if i[1] is None else i[1] for i in intervals])
        axes.errorbar(rates, positions, xerr=[np.clip(rates - low, 0, None),
                                              np.clip(high - rates, 0, None)],
                      fmt="none", ecolor=INK, capsize=3, linewidth=0.9)
    reference = [g for g in groups if g.get("is_reference")]
    favoured = reference[0]["selection_rate"] if reference else np.nanmax(rates)
    axes.axvline(0.8 * favoured, color=BAD, linestyle="--", linewidth=0.9)
    axes.set_yticks(positions, [_wrap(f"{label} (n={g['count']})", 36) for label, g in zip(
        labels, groups, strict=True)])
    axes.set_xlim(0, 1)
    axes.set_xlabel("favourable-decision rate with 95% bootstrap interval\n"
                    "dashed red line: four-fifths of the reference group; "
                    "hatched red bars fall below it")
    axes.set_title("Selection rate by " + " × ".join(grouping["attributes"]), loc="left")
    return _svg(figure)


def psi_bars(summary: dict, context: ChartContext = NO_CONTEXT, top: int = 30) -> str:
    features = {name: result for name, result in summary["features"].items()
                if result.get("psi") is not None}  # undefined PSI: shown in the table
    everything = sorted(features, key=lambda name: -features[name]["psi"])
    names = everything[:top]
    values = [features[name]["psi"] for name in names]
    figure, axes = plt.subplots(figsize=(6.5, 0.3 * len(names) + 1.2))
    colours = [next(colour for limit, colour, _ in PSI_BANDS if value < limit)
               for value in values]
    axes.barh([_wrap(n, 40) for n in names[::-1]], values[::-1], color=colours[::-1])
    for limit, colour, _ in PSI_BANDS[:2]:
        axes.axvline(limit, color=colour, linestyle="--", linewidth=0.9)
    axes.set_xlabel("population stability index (PSI)\ndashed lines: 0.1 (moderate shift) "
                    "and 0.25 (significant shift)")
    axes.set_title("Drift per feature: comparison vs reference "
                   f"({_of_total(len(names), len(everything))} by PSI)", loc="left")
    return _svg(figure)


def roc(summary: dict, context: ChartContext = NO_CONTEXT) -> str:
    curve = summary["roc"]
    figure, axes = plt.subplots(figsize=(4.2, 4))
    axes.plot(curve["fpr"], curve["tpr"], color=BRAND,
              label=f"model (AUC {summary['metrics']['auc']:.3f})")
    axes.plot([0, 1], [0, 1], color=MUTED, linestyle="--", linewidth=0.8, label="chance")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title("ROC curve", loc="left")
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    return _svg(figure)


def calibration(summary: dict, context: ChartContext = NO_CONTEXT) -> str:
    table = summary["calibration"]
    figure, axes = plt.subplots(figsize=(4.2, 4))
    predicted = [row["mean_predicted"] for row in table]
    observed = [row["observed_rate"] for row in table]
    axes.plot([0, 1], [0, 1], color=MUTED, linestyle="--", linewidth=0.8,
              label="perfect calibration")
    axes.plot(predicted, observed, marker="o", color=BRAND, label="model (deciles)")
    axes.set_xlabel("mean predicted probability")
    axes.set_ylabel("observed rate")
    axes.set_title("Calibration", loc="left")
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _svg(figure)


def score_histogram(summary: dict, context: ChartContext = NO_CONTEXT) -> str:
    histogram = summary["histogram"]
    edges = np.asarray(histogram["edges"])
    figure, axes = plt.subplots(figsize=(6.5, 2.6))
    axes.bar(edges[:-1], histogram["counts"], width=np.diff(edges), align="edge", color=BRAND,
             edgecolor="white")
    xlabel = "predicted probability"
    if context.threshold is not None:
        axes.axvline(context.threshold, color=BAD, linestyle="--", linewidth=0.9)
        xlabel += f"; dashed red line: decision cut-off {context.threshold:g}"
    axes.set_xlabel(xlabel)
    axes.set_ylabel("rows")
    axes.set_title("Score distribution", loc="left")
    return _svg(figure)


# kind -> chart name -> drawing function (name "dependence-<feature>" is parametrised)
CHARTS = {
    "scoring": {"histogram": score_histogram},
    "performance": {"roc": roc, "calibration": calibration},
    "shap": {"importance": shap_bar, "beeswarm": shap_beeswarm},
    "reason_codes": {"waterfall": waterfall},
    "fairness": {},
    "drift": {"psi": psi_bars},
}


def chart_names(kind: str, summary: dict) -> list[str]:
    """Every chart a finished run of ``kind`` has, parametrised ones included."""
    names = list(CHARTS.get(kind, {}))
    if kind == "shap":
        primary = summary.get("primary")
        top = list(summary.get("methods", {}).get(primary, {}).get("importance", {}))
        names += [f"dependence-{feature}" for feature in top[:DEPENDENCE_CHARTS]]
    if kind == "fairness":
        names += [f"grouping-{index}" for index in range(len(summary.get("groupings", [])))]
    return names


def draw(kind: str, name: str, summary: dict, context: ChartContext = NO_CONTEXT) -> str:
    try:
        if kind == "shap" and name.startswith("dependence-"):
            return shap_dependence(summary, name.removeprefix("dependence-"), context)
        if kind == "fairness" and name.startswith("grouping-"):
            index = name.removeprefix("grouping-")
            if not index.isdigit() or int(index) >= len(summary.get("groupings", [])):
                raise ChartUnavailable(name)
            return fairness_rates(summary, int(index), context)
        drawer = CHARTS.get(kind, {}).get(name)
        if drawer is None:
            raise ChartUnavailable(name)
        return drawer(summary, context)
    except (KeyError, IndexError, TypeError) as error:
        raise ChartUnavailable(f"{name}: {error}") from None


def draw_all(kind: str, summary: dict, context: ChartContext = NO_CONTEXT) -> dict[str, str]:
    """{name: SVG} of every chart the summary can give (those it cannot are left out)."""
    drawn = {}
    for name in chart_names(kind, summary):
        try:
            drawn[name] = draw(kind, name, summary, context)
        except ChartUnavailable:
            continue
    return drawn
