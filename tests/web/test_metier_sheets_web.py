"""« Les métiers » (issue 18): the public pages with live figures, links from offers and
suggestions, coordinators' edit, preview, history and restore."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import MetierSheet, MetierSheetVersion
from tests.web.conftest import World, post, sign_in

SHEET = "/metiers/aide-soignant"
ATTACK = (
    "## Le métier\n\nBonjour <script>alert('x')</script>\n\n"
    '<img src="x" onerror="alert(1)">\n\n[piège](javascript:alert(1)) [vrai](https://www.service-public.fr)\n'
)


class _Page(HTMLParser):
    """What a browser would run or follow in a page: its tags, attributes and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, [(k.lower(), v or "") for k, v in attrs]))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _assert_harmless(html: str) -> None:
    page = _Page()
    page.feed(html)
    assert page.inline_scripts == []
    for tag, attrs in page.elements:
        assert tag not in ("img", "iframe", "object", "embed"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if tag == "script" and name == "src":
                assert value.startswith("/static/"), value
            if name == "href":
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


def _versions(session: Session, code: str) -> int:
    session.expire_all()
    stmt = (
        select(func.count())
        .select_from(MetierSheetVersion)
        .join(MetierSheet)
        .where(MetierSheet.metier_code == code)
    )
    return session.scalar(stmt) or 0


def test_the_list_shows_every_metier_priority_first(app: Flask, world: World) -> None:
    page = app.test_client().get("/metiers")
    assert page.status_code == 200
    text = page.text
    assert 'href="/metiers/aide-soignant"' in text and 'href="/metiers/infirmier"' in text
    # The eight priority métiers come before the others.
    assert text.index("Technicien de l'intervention sociale et familiale".replace("'", "&#39;")) < (
        text.index("Infirmier")
    )
    assert "Les métiers" in app.test_client().get("/").text  # in the public menu


def test_a_sheet_shows_its_text_sources_and_live_figures(app: Flask, world: World) -> None:
    text = app.test_client().get(SHEET).text
    assert "<h1>Aide-soignant / Aide-soignante</h1>" in text
    assert "<h2>Le métier et les personnes accompagnées</h2>" in text
    assert "Diplôme d&#39;État d&#39;aide-soignant" in text
    assert "Baccalauréat (niveau 4)" in text
    assert "consultés le 4 décembre 2026" in text
    # Live figures: the world's published offer of the métier (not its draft), its active
    # request, the training centre preparing it, with the deadline of its intake.
    assert "1 offre d’apprentissage publiée" in text
    assert f'href="/offres/{world.offer.id}"' in text
    assert f'href="/offres/{world.draft.id}"' not in text
    assert "1 personne cherche un apprentissage dans ce métier" in text
    assert f'href="/se-former/centres/{world.centre.id}"' in text
    assert "Inscriptions ouvertes" in text
    assert 'data-offers="/offres/carte.geojson?metier=aide-soignant"' in text
    assert 'href="/metiers/accompagnant-educatif-social"' in text  # related métiers
    # An apprentice's minimum pay, by age band and contract year, from the shipped SMIC of 2026
    # (1 823,03 €): 27 % under 18 in the first year, 100 % from 26.
    assert "Salaire brut minimum par mois, selon l'âge et l'année du contrat" in text
    assert "492,22\u202f€ (27 %)" in text and "1\u202f823,03\u202f€ (100 %)" in text
    assert "D6222-26" in text and "Décret n° 2025-1228" in text
    # Anyone reads it; only staff see the edit links.
    assert "/metiers/aide-soignant/modifier" not in text


def test_a_metier_without_sheet_or_figures_says_so(app: Flask, world: World) -> None:
    text = app.test_client().get("/metiers/infirmier").text
    assert "La fiche de ce métier est en préparation." in text
    assert "Aucune offre de ce métier n'est publiée en ce moment." in text
    assert "Aucune rentrée à venir n'est annoncée pour ce métier." in text
    assert app.test_client().get("/metiers/" + "x" * 300).status_code == 404


def test_offers_and_suggestions_link_to_their_metier_sheet(app: Flask, world: World) -> None:
    link = 'href="/metiers/aide-soignant"'
    assert link in app.test_client().get(f"/offres/{world.offer.id}").text
    coordinator = sign_in(app.test_client(), world.coordinator)
    assert link in coordinator.get(f"/coordination/suggestions/{world.suggestion.id}").text
    employer = sign_in(app.test_client(), world.employer_user)
    assert link in employer.get(f"/employeur/offres/{world.offer.id}").text
    candidate = sign_in(app.test_client(), world.candidate_user)
    assert link in candidate.get("/candidat/").text


def test_an_edit_with_a_script_never_reaches_a_page(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    assert "Modifier la fiche" in client.get(SHEET).text
    before = _versions(session, "aide-soignant")
    # The preview renders the same way and saves nothing.
    preview = post(client, f"{SHEET}/modifier", {"body": ATTACK, "sources": "", "action": "apercu"})
    assert preview.status_code == 200 and "Aperçu (non enregistré)" in preview.text
    assert _versions(session, "aide-soignant") == before
    answer = post(client, f"{SHEET}/modifier", {"body": ATTACK, "sources": "- Une source"})
    assert answer.status_code == 302 and answer.headers["Location"] == SHEET
    assert _versions(session, "aide-soignant") == before + 1
    for page in (
        app.test_client().get(SHEET).text,
        client.get(f"{SHEET}/historique").text,
        preview.text.split("Aperçu (non enregistré)")[1],
    ):
        _assert_harmless(page)
    public = app.test_client().get(SHEET).text
    assert "Bonjour &lt;script&gt;" in public
    assert 'href="https://www.service-public.fr" rel="noopener noreferrer"' in public


def test_history_and_restore(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    seed_id = session.scalars(
        select(MetierSheetVersion.id)
        .join(MetierSheet)
        .where(MetierSheet.metier_code == "aide-soignant")
        .order_by(MetierSheetVersion.id)
    ).first()
    refused = post(client, f"{SHEET}/versions/{seed_id}/restaurer", follow_redirects=True)
    assert "Cette version est déjà le texte de la fiche" in refused.text
    assert _versions(session, "aide-soignant") == 1
    post(client, f"{SHEET}/modifier", {"body": "## Court\n\nUn texte court.", "sources": ""})
    history = client.get(f"{SHEET}/historique").text
    assert "Texte d’origine de Passerelle" in history and "Version actuelle" in history
    assert world.coordinator.email in history or (world.coordinator.display_name or "") in history
    answer = post(client, f"{SHEET}/versions/{seed_id}/restaurer")
    assert answer.status_code == 302
    public = app.test_client().get(SHEET).text
    assert "Un texte court." not in public and "Le métier et les personnes accompagnées" in public
    assert _versions(session, "aide-soignant") == 3
    # A version of another sheet is not restored through this one.
    assert (
        post(client, f"/metiers/moniteur-educateur/versions/{seed_id}/restaurer").status_code == 404
    )


def test_bad_input_answers_in_french_never_a_500(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    before = _versions(session, "aide-soignant")
    for body, message in (
        ("", "Ce champ est obligatoire"),
        ("## A\x07", "caractères de contrôle"),
        ("x" * 20_001, "20000 caractères"),
    ):
        answer = post(client, f"{SHEET}/modifier", {"body": body, "sources": ""})
        assert answer.status_code == 400, body[:10]
        assert "Texte de la fiche" in answer.text and message in answer.text
    assert _versions(session, "aide-soignant") == before
    for url in (f"{SHEET}/versions/abc/restaurer", f"{SHEET}/versions/2147483647/restaurer"):
        assert post(client, url).status_code == 404


def test_only_staff_edit(app: Flask, world: World, session: Session) -> None:
    before = _versions(session, "aide-soignant")
    for user in (world.candidate_user, world.employer_user):
        client = sign_in(app.test_client(), user)
        assert client.get(f"{SHEET}/modifier").status_code == 403
        assert post(client, f"{SHEET}/modifier", {"body": "## Piraté"}).status_code == 403
    anonymous = sign_in(app.test_client(), None)
    assert post(anonymous, f"{SHEET}/modifier", {"body": "## Piraté"}).status_code == 302
    assert _versions(session, "aide-soignant") == before
