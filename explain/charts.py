"""SVG charts of evidence summaries (matplotlib), for the pages and the PDF pack.

Every chart is drawn from a run's stored summary alone, so the same picture can be
redrawn for an audit pack years later. Text stays text in the SVG (searchable,
sharp in print); colours carry meaning only together with a label or a pattern.
"""

import io

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


class ChartUnavailable(LookupError):
    """The run's summary has no data for this chart."""


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def shap_bar(summary: dict, top: int = 15) -> str:
    method = summary["primary"]
    importance = list(summary["methods"][method]["importance"].items())[:top][::-1]
    figure, axes = plt.subplots(figsize=(6.5, 0.3 * len(importance) + 1))
    axes.barh([name for name, _ in importance], [value for _, value in importance], color=BRAND)
    unit = "log-odds" if summary["methods"][method]["output"] == "margin" else "probability"
    axes.set_xlabel(f"mean |SHAP value| ({unit})")
    axes.set_title("Which features drive the score overall", loc="left")
    return _svg(figure)


def shap_beeswarm(summary: dict, top: int = 12) -> str:
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
                              cmap="coolwarm", vmin=0, vmax=1, linewidths=0)
    axes.set_yticks(range(len(names)), list(reversed(names)))
    axes.axvline(0, color=MUTED, linewidth=0.8)
    axes.set_xlabel("SHAP value (impact on the score)")
    axes.set_title("Each dot is one applicant; colour is the feature's value", loc="left")
    colorbar = figure.colorbar(points, ax=axes, ticks=[0, 1], aspect=30)
    colorbar.ax.set_yticklabels(["low", "high"])
    return _svg(figure)


def shap_dependence(summary: dict, feature: str) -> str:
    sample = summary["plot_sample"]
    if feature not in sample["features"]:
        raise ChartUnavailable(f"no dependence data for {feature}")
    column = sample["features"].index(feature)
    x = np.asarray(sample["values"], dtype=float)[:, column]
    y = np.asarray(sample["shap"], dtype=float)[:, column]
    figure, axes = plt.subplots(figsize=(4.2, 3))
    axes.scatter(x, y, s=7, color=BRAND, alpha=0.7, linewidths=0)
    axes.axhline(0, color=MUTED, linewidth=0.8)
    axes.set_xlabel(feature)
    axes.set_ylabel("SHAP value")
    axes.set_title(f"How {feature} moves the score", loc="left")
    return _svg(figure)


def waterfall(summary: dict, top: int = 10) -> str:
    data = summary.get("waterfall")
    if not data:
        raise ChartUnavailable("no declined applicant")
    items = sorted(data["contributions"].items(), key=lambda kv: -abs(kv[1]))
    shown = [(_feature_label(name, data["values"]), value) for name, value in items[:top]]
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
    axes.set_xlabel(f"score ({unit}) from the average applicant (dashed); "
                    "red pushes toward decline")
    axes.set_title(f"Why the applicant in row {data['row']} was declined", loc="left")
    return _svg(figure)


def _feature_label(name: str, values: dict) -> str:
    if name not in values:
        return name
    value = values[name]
    if value is None:
        return f"{name} (missing)"
    return f"{name} = {value:g}" if isinstance(value, float) else f"{name} = {value}"


def fairness_rates(summary: dict, grouping_index: int = 0) -> str:
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
    favoured = np.nanmax(rates)
    axes.axvline(0.8 * favoured, color=BAD, linestyle="--", linewidth=0.9)
    axes.set_yticks(positions, [f"{label} (n={g['count']})" for label, g in zip(
        labels, groups, strict=True)])
    axes.set_xlim(0, 1)
    axes.set_xlabel("favourable-decision rate with 95% bootstrap interval\n"
                    "dashed red line: four-fifths of the most-favoured group; "
                    "hatched red bars fall below it")
    axes.set_title("Selection rate by " + " × ".join(grouping["attributes"]), loc="left")
    return _svg(figure)


def psi_bars(summary: dict) -> str:
    features = summary["features"]
    names = sorted(features, key=lambda name: -features[name]["psi"])
    values = [features[name]["psi"] for name in names]
    figure, axes = plt.subplots(figsize=(6.5, 0.3 * len(names) + 1.2))
    colours = [next(colour for limit, colour, _ in PSI_BANDS if value < limit)
               for value in values]
    axes.barh(names[::-1], values[::-1], color=colours[::-1])
    for limit, colour, _ in PSI_BANDS[:2]:
        axes.axvline(limit, color=colour, linestyle="--", linewidth=0.9)
    axes.set_xlabel("population stability index (PSI)\ndashed lines: 0.1 (moderate shift) "
                    "and 0.25 (significant shift)")
    axes.set_title("Drift per feature: comparison vs reference", loc="left")
    return _svg(figure)


def roc(summary: dict) -> str:
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


def calibration(summary: dict) -> str:
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


def score_histogram(summary: dict) -> str:
    histogram = summary["histogram"]
    edges = np.asarray(histogram["edges"])
    figure, axes = plt.subplots(figsize=(6.5, 2.6))
    axes.bar(edges[:-1], histogram["counts"], width=np.diff(edges), align="edge", color=BRAND,
             edgecolor="white")
    axes.set_xlabel("predicted probability")
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


def draw(kind: str, name: str, summary: dict) -> str:
    if kind == "shap" and name.startswith("dependence-"):
        return shap_dependence(summary, name.removeprefix("dependence-"))
    if kind == "fairness" and name.startswith("grouping-"):
        index = name.removeprefix("grouping-")
        if not index.isdigit() or int(index) >= len(summary.get("groupings", [])):
            raise ChartUnavailable(name)
        return fairness_rates(summary, int(index))
    drawer = CHARTS.get(kind, {}).get(name)
    if drawer is None:
        raise ChartUnavailable(name)
    try:
        return drawer(summary)
    except (KeyError, IndexError, TypeError) as error:
        raise ChartUnavailable(f"{name}: {error}") from None
