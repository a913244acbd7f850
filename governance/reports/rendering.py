"""Render a pack's content to a PDF/A-3b with WeasyPrint, byte-reproducibly.

What would drift between two renders is pinned: document and attachment dates come
from the data (the moment the pack describes), attachments are sorted, fonts are
fixed (DejaVu, subset by HarfBuzz, font timestamps from SOURCE_DATE_EPOCH), charts
are the SVGs stored with the runs (fixed ids, no dates), and the manifest
placeholder is written uncompressed so ``registry.packfile.seal`` can fill it in.
"""

import base64
import math
import os
import time
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from governance.reports.selectors import InventoryContent, PackContent
from registry.packfile import MANIFEST_NAME, placeholder

_RELATIONSHIP = {"audit-excerpt.json": "Data", MANIFEST_NAME: "Supplement"}


@dataclass
class RenderedPdf:
    pdf: bytes
    pages: int
    timings: dict = field(default_factory=dict)


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _number(value, digits: int = 3) -> str:
    if value is None or isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _performance(summary: dict) -> dict:
    intervals = summary.get("intervals", {})
    return {"metrics": [{"name": name, "value": _number(value, 4),
                         "interval": " – ".join(_number(v, 4) for v in intervals[name])
                         if name in intervals else "—"}
                        for name, value in summary.get("metrics", {}).items()],
            "confusion": summary.get("confusion", {}), "rows": summary.get("rows"),
            "positives": summary.get("positives")}


def _fairness(summary: dict) -> list[dict]:
    shaped = []
    for index, grouping in enumerate(summary.get("groupings", [])):
        intervals = grouping.get("confidence_intervals", {}).get("selection_rate") or []
        groups = []
        for position, group in enumerate(grouping.get("groups", [])):
            interval = intervals[position] if position < len(intervals) else None
            groups.append({
                "label": " & ".join(str(v) for v in group.get("group", {}).values()),
                "count": group.get("count"), "rate": _number(group.get("selection_rate")),
                "interval": " – ".join(_number(v) for v in interval) if interval else "—",
                # The four-fifths ratio against the reference group (issue 13); older
                # runs stored it against the most favoured group.
                "ratio": _number(group.get("selection_rate_ratio_to_reference",
                                           group.get("selection_rate_ratio_to_favoured"))),
                "flag": bool(group.get("four_fifths_flag")),
                "tpr": _number(group.get("tpr")), "fpr": _number(group.get("fpr")),
                "ppv": _number(group.get("ppv"))})
        metrics = grouping.get("summary", {})
        shaped.append({"index": index, "attributes": " × ".join(grouping.get("attributes", [])),
                       "groups": groups,
                       "metrics": [(name.replace("_", " "), _number(metrics.get(name)))
                                   for name in sorted(metrics)]})
    return shaped


def _drift(summary: dict) -> list[dict]:
    rows = []
    for name, result in sorted(summary.get("features", {}).items()):
        rows.append({"name": name, "psi": _number(result.get("psi"), 4),
                     "band": result.get("band", ""), "ks": _number(result.get("ks"), 4),
                     "missing": f"{result.get('missing_reference', 'n/a')} / "
                                f"{result.get('missing_comparison', 'n/a')}",
                     "out_of_range": result.get("out_of_range", "n/a")})
    return rows


def _importance(summary: dict) -> list[tuple[str, str]]:
    method = summary.get("methods", {}).get(summary.get("primary", ""), {})
    return [(name, _number(value, 4)) for name, value in method.get("importance", {}).items()]


def context(content: PackContent, signing_key) -> dict:
    evidence = content.evidence
    charts = {kind: {name: _uri(svg) for name, svg in sorted(item.charts.items())}
              for kind, item in evidence.items()}
    shap = evidence["shap"].summary
    reasons = evidence["reason_codes"].summary
    return {
        "c": content, "model": content.model, "version": content.version,
        "present": content.present, "charts": charts, "signing_key": signing_key,
        "performance": _performance(evidence["performance"].summary),
        "fairness": _fairness(evidence["fairness"].summary),
        "drift": _drift(evidence["drift"].summary),
        "drift_recipe": evidence["drift"].summary.get("recipe", {}),
        "importance": _importance(shap),
        "dependence": [name for name in charts["shap"] if name.startswith("dependence-")],
        "reason_frequency": sorted(reasons.get("reason_frequency", {}).items(),
                                   key=lambda kv: (-kv[1], kv[0])),
        "applicants": reasons.get("applicants", [])[:10],
        "fairness_groupings": [g["index"] for g in _fairness(evidence["fairness"].summary)],
        "attachment_names": list(content.attachments) + [MANIFEST_NAME],
        "sections": [(index + 1, slug, title)
                     for index, (slug, title) in enumerate(content.sections)],
    }


def _finisher(document, pdf) -> None:
    """Keep the manifest placeholder uncompressed (the seal overwrites it in place) and
    drop its MD5 checksum, which would be stale once the seal fills it in."""
    target = placeholder()
    for pdf_object in pdf.objects:
        stream = getattr(pdf_object, "stream", None)
        if stream and len(stream) == 1 and stream[0] == target:
            pdf_object.compress = False
            pdf_object.extra["Params"].pop("CheckSum", None)


def render_pdf(content: PackContent, signing_key, template: str = "reports/pack.html"
               ) -> RenderedPdf:
    from weasyprint import Attachment

    timings: dict[str, float] = {}
    started = time.perf_counter()
    html = render_to_string(template, context(content, signing_key))
    timings["template_s"] = round(time.perf_counter() - started, 4)
    moment = content.described_at
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    attachments = [Attachment(string=data, name=name, description=name,
                              created=moment, modified=moment,
                              relationship=_RELATIONSHIP.get(name, "Source"))
                   for name, data in content.attachments.items()]
    attachments.append(Attachment(string=placeholder(), name=MANIFEST_NAME,
                                  description="signed manifest (sha256 of every file and "
                                              "of the document)",
                                  created=moment, modified=moment, relationship="Supplement"))
    return _lay_out_and_write(html, attachments, timings)


def _lay_out_and_write(html: str, attachments: list, timings: dict[str, float]) -> RenderedPdf:
    """PDF/A-3b with the attachments, sealed by the finisher; layout and writing timed."""
    from weasyprint import HTML

    laid_out = time.perf_counter()
    document = HTML(string=html, base_url=None).render()
    timings["layout_s"] = round(time.perf_counter() - laid_out, 4)
    written = time.perf_counter()
    pdf = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments,
                             finisher=_finisher)
    timings["pdf_s"] = round(time.perf_counter() - written, 4)
    return RenderedPdf(pdf, len(document.pages), timings)


def render_inventory_pdf(content: InventoryContent, signing_key) -> RenderedPdf:
    from weasyprint import Attachment

    timings: dict[str, float] = {}
    started = time.perf_counter()
    html = render_to_string("reports/inventory.html", {"c": content,
                                                       "signing_key": signing_key})
    timings["template_s"] = round(time.perf_counter() - started, 4)
    moment = content.described_at
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    attachments = [Attachment(string=data, name=name, description=name, created=moment,
                              modified=moment, relationship="Data")
                   for name, data in content.attachments.items()]
    attachments.append(Attachment(string=placeholder(), name=MANIFEST_NAME,
                                  description="signed manifest", created=moment,
                                  modified=moment, relationship="Supplement"))
    return _lay_out_and_write(html, attachments, timings)
