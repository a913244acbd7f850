from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()

_LABELS = {"auc": "AUC", "gini": "Gini", "ks": "KS", "brier": "Brier score",
           "log_loss": "Log loss", "tree_path_dependent": "Path-dependent TreeSHAP",
           "tree_interventional": "Interventional TreeSHAP", "permutation": "Permutation SHAP",
           "kernel": "Kernel SHAP", "below_threshold": "below", "above_threshold": "at or above",
           "rmse": "RMSE", "mae": "MAE", "r2": "R-squared", "somers_d": "Somers' D",
           "auc_macro_ovr": "AUC (one-vs-rest, macro)", "accuracy": "Accuracy"}


@register.filter
def dict_get(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def metric_label(name):
    return _LABELS.get(name, str(name).replace("_", " "))


@register.simple_tag
def chart(run, name, description, suffix=""):
    """An SVG chart of the run, with a text alternative for screen readers; ``suffix``
    names the feature or grouping of a parametrised chart ("dependence-" + feature). The
    feature travels as the ``of`` query parameter: a feature name is any string (a slash,
    a dot, a question mark), which no path segment could carry."""
    url = reverse("evidence-run-chart", args=[run.pk, name.removesuffix("-")])
    if name.endswith("-"):
        url += "?" + urlencode({"of": suffix})
    return format_html('<figure class="chart"><img src="{}" alt="{}" loading="lazy">'
                       '</figure>', url, f"{description}{suffix}")


@register.simple_tag
def group_rate(group, name, convention="exclude"):
    """A group's rate to three places; an undefined rate says why, and under fairlearn's
    ``zero`` convention that it was scored 0."""
    reason = (group.get("undefined") or {}).get(name)
    value = group.get(name)
    if reason and convention == "zero":
        return f"0 (scored 0: {reason})"
    if reason or value is None:
        return f"n/a ({reason})" if reason else "n/a"
    return f"{value:.3f}"
