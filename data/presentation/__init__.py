"""The one French presentation layer: labels and formatters for pages, mails and jobs alike.

Pages get these as Jinja filters and globals (``web.formatting.register`` calls :func:`install`
on the app's environment), mails through the same :func:`install` on the mail environment
(:mod:`data.mail.render`), and jobs call the functions. Each label and each way of writing a
number, a date or a distance is defined here once, so a page and a mail never disagree.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from .figures import figure, map_figure
from .formatters import (
    PARIS,
    agree,
    date_fr,
    date_short,
    datetime_fr,
    euros,
    km,
    month_fr,
    number,
    percent,
    period_fr,
    plural,
    tel_uri,
    weight,
)
from .housing import housing_aids, housing_conditions, housing_periods
from .labels import (
    COUNT_LABELS,
    EVENT_LABELS,
    FIELD_LABELS,
    JOB_LABELS,
    LABELS,
    choices,
    criterion_label,
    describe_counts,
    describe_errors,
    event_line,
    event_state,
    field_label,
    label,
    rule_amount,
    transition_message,
)
from .markdown import render_markdown
from .reasons import criterion_reason, reasons_for
from .standing import REVIEW_NOTES, STANDING_LABELS, standing_sentences

__all__ = [
    "COUNT_LABELS",
    "EVENT_LABELS",
    "FIELD_LABELS",
    "FILTERS",
    "GLOBALS",
    "JOB_LABELS",
    "LABELS",
    "PARIS",
    "agree",
    "REVIEW_NOTES",
    "STANDING_LABELS",
    "choices",
    "criterion_label",
    "criterion_reason",
    "date_fr",
    "date_short",
    "datetime_fr",
    "describe_counts",
    "euros",
    "describe_errors",
    "event_line",
    "event_state",
    "field_label",
    "housing_aids",
    "housing_conditions",
    "housing_periods",
    "install",
    "km",
    "label",
    "month_fr",
    "number",
    "percent",
    "plural",
    "reasons_for",
    "render_markdown",
    "standing_sentences",
    "transition_message",
    "weight",
]

#: The Jinja filters of every template, pages and mails: ``{{ offer.status|label }}``,
#: ``{{ distance|km }}``, ``{{ n|plural("lit", "lits") }}``, ``{{ s|reasons("employer") }}``.
FILTERS: dict[str, Any] = {
    "label": label,
    "date_fr": date_fr,
    "month_fr": month_fr,
    "date_short": date_short,
    "datetime_fr": datetime_fr,
    "km": km,
    "percent": percent,
    "number": number,
    "euros": euros,
    "weight": weight,
    "reasons": reasons_for,
    "criterion_reason": criterion_reason,
    "criterion_label": criterion_label,
    "plural": plural,
    "period_fr": period_fr,
    "agree": agree,
    "standing": standing_sentences,
    "describe_counts": describe_counts,
    "field_label": field_label,
    "tel_uri": tel_uri,
    "housing_aids": housing_aids,
    "housing_conditions": housing_conditions,
    "housing_periods": housing_periods,
    "markdown": render_markdown,
    "rule_amount": rule_amount,
}
#: The Jinja globals of every template.
GLOBALS: dict[str, Any] = {
    "choices": choices,
    "job_labels": JOB_LABELS,
    "event_line": event_line,
    "field_labels": FIELD_LABELS,
    # The rows of an observatory table as its chart and data table show them (macros/charts.html).
    "chart_figure": figure,
    "map_figure": map_figure,
}


def install(env: Environment) -> None:
    """Give a Jinja environment the filters and globals of this layer."""
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
