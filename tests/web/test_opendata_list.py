"""The « Données ouvertes » list (web/templates/observatory/_opendata_list.html), rendered alone.

The page that includes it is wired by the observatory's blueprint; here the partial's French text,
its links and its accessibility (axe, in chromium, on the partial inside a bare page).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask, render_template
from playwright.sync_api import Browser

from tests.web.test_browser import browser  # noqa: F401  (fixture)
from tests.web.test_wording import faults, visible_text

FILES = [
    (
        "Candidats par mois et par métier",
        "Candidats inscrits sur Passerelle, par mois d'inscription et par métier recherché.",
        "/observatoire/donnees/candidats.csv",
        "/observatoire/donnees/candidats.json",
        "/observatoire/donnees/candidats.schema.json",
        date(2026, 3, 1),
    ),
    (
        "Contrats signés par territoire",
        "",
        "/observatoire/donnees/contrats.csv",
        "/observatoire/donnees/contrats.json",
        "/observatoire/donnees/contrats.schema.json",
        None,
    ),
]


def _render(app: Flask, files: list, **context: object) -> str:
    with app.test_request_context():
        return render_template("observatory/_opendata_list.html", files=files, **context)


@pytest.mark.one_engine
def test_each_table_has_its_files_and_update_date_in_french(app: Flask) -> None:
    html = _render(app, FILES, package_url="/observatoire/donnees/datapackage.json")
    text = visible_text(html)
    assert "Licence Ouverte / Open Licence version 2.0" in text
    assert "entre 1 et 10 personnes" in text
    assert 'Mis à jour le <time datetime="2026-03-01">1er mars 2026</time>' in html
    assert "Date de mise à jour non connue" in text
    for _, _, csv_url, json_url, schema_url, _ in FILES:
        for url in (csv_url, json_url, schema_url):
            assert html.count(f'href="{url}"') == 1
    # Every download link names its table for a screen reader's list of links.
    links = re.findall(r"<a [^>]*>(.*?)</a>", html, re.S)
    downloads = [visible_text(a) for a in links if "Télécharger" in a or "Schéma" in a]
    assert len(downloads) == 6 and len(set(downloads)) == 6
    assert 'href="/observatoire/donnees/datapackage.json"' in html
    assert not faults(text.replace("datapackage.json", ""))


@pytest.mark.one_engine
def test_an_empty_list_says_so(app: Flask) -> None:
    text = visible_text(_render(app, []))
    assert "Aucun fichier n'est encore publié." in text


@pytest.mark.browser
@pytest.mark.one_engine
def test_the_list_passes_axe(app: Flask, browser: Browser) -> None:  # noqa: F811
    body = _render(app, FILES, package_url="/datapackage.json")
    html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Données ouvertes'
        f"</title></head><body><main><h1>Données ouvertes</h1>{body}</main></body></html>"
    )
    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        page.set_content(html)
        results = Axe().run(page)
        violations = [
            f"{v['id']}: {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
        ]
    finally:
        context.close()
    assert violations == []
