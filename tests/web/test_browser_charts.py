"""The observatory's figures in a real browser (issue 20): a line chart, a funnel and a
choropleth of the Ain's EPCI, each drawn from its data table by charts.js, on a page that only
this test adds to its app (the observatory's pages are built elsewhere); axe checks the page.

One engine (SQLite): no database work here.
"""

from __future__ import annotations

import pytest
from flask import render_template_string
from playwright.sync_api import Page, expect

from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _violations,
    browser,
    live,
    page,
)
from tests.web.test_charts import FUNNEL, MONTHLY, TENSION

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]

PAGE = """{% extends "base.html" %}
{% from "macros/charts.html" import chart_head, chart_scripts, figure_table, choropleth_table %}
{% block title %}Figures{% endblock %}
{% block head %}{{ chart_head(map=True) }}{% endblock %}
{% block content %}
  <h1>Figures</h1>
  {{ figure_table(monthly, "line", "mois", ["offres", "demandes"]) }}
  {{ figure_table(funnel, "funnel", "etape", ["personnes"]) }}
  {{ choropleth_table(tension, "code_epci", "tension", url_for("public.epci_outline")) }}
{% endblock %}
{% block scripts %}{{ chart_scripts(map=True) }}{% endblock %}
"""


def test_charts_and_a_choropleth_are_drawn_beside_their_tables(
    live,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    app, base = live

    def figures() -> str:
        return render_template_string(PAGE, monthly=MONTHLY, funnel=FUNNEL, tension=TENSION)

    app.add_url_rule("/essai-figures", "test_figures", figures)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{base}/essai-figures")

    line = page.locator("#offres-par-mois-line")
    expect(line).to_have_attribute("data-drawn", "")
    expect(line.get_by_role("img", name="Graphique : Offres publiées par mois")).to_be_visible()
    expect(line.locator(".chart-canvas + .table-wrap")).to_have_count(1)  # chart, then table
    funnel = page.locator("#parcours-funnel")
    expect(funnel).to_have_attribute("data-drawn", "")
    expect(funnel.locator("canvas[role=img]")).to_be_visible()

    choropleth = page.locator("#tension-par-epci-carte")
    expect(choropleth).to_have_attribute("data-drawn", "")
    expect(
        choropleth.get_by_role("img", name="Carte : Tension par intercommunalité")
    ).to_be_visible()
    outlines = choropleth.locator("path.leaflet-interactive")
    expect(outlines).to_have_count(17)  # the Ain's EPCI
    # Gex is secret: hatched; Bourg-en-Bresse has a value: a colour of the scale; the others,
    # absent from the table, hatched too.
    fills = outlines.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
    assert sum(f.startswith("url(#") for f in fills) == 16
    assert sum(f.startswith("#") for f in fills) == 1
    expect(choropleth.locator(".chart-legend")).to_contain_text(
        "secret statistique ou pas de donnée"
    )
    choropleth.locator("path.leaflet-interactive[fill^='#']").hover()
    expect(page.locator(".leaflet-tooltip")).to_have_text("CA du Bassin de Bourg-en-Bresse : 1,26")

    # The tables stay, with their French figures and the secret spelled out.
    for fig in (line, funnel, choropleth):
        expect(fig.locator("table")).to_be_visible()
        expect(fig.locator("td.cell-secret").first).to_have_text("secret statistique")
    expect(line.locator("tbody tr").first).to_contain_text("1\u202f234")
    assert _violations(page) == []
    assert errors == []
