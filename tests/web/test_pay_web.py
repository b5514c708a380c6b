"""The pay and budget pages (issue 18): the admins' page of the SMIC and the grid, the age band
through the candidate's form and the API, the budget on an offer's page."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data.models import AgeBand, SmicValue
from data.reference import read_smic
from tests.data import factories as f
from tests.web.api_fixtures import api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

SMIC = {
    "monthly_eur": "1800,00",
    "hourly_eur": "11,87",
    "valid_from": "2031-01-01",
    "source": "Montant pour les essais",
}


def test_an_admin_adds_a_smic_and_a_grid_row_others_cannot(
    app: Flask, world: World, session: Session
) -> None:
    admin = sign_in(app.test_client(), world.admin)
    page = admin.get("/admin/remuneration").text
    # The shipped SMIC, with its décret.
    assert "1\u202f823,03\u202f€" in page and "Décret n° 2025-1228" in page
    assert "Code du travail, article D6222-26" in page and "16 ou 17 ans" in page
    bad = post(admin, "/admin/remuneration/smic", {**SMIC, "monthly_eur": "beaucoup"})
    assert bad.status_code == 400
    assert "Montant en euros attendu, par exemple 1823,03." in bad.text
    done = post(admin, "/admin/remuneration/smic", SMIC)
    assert done.status_code == 302
    page = admin.get("/admin/remuneration").text
    assert "1\u202f800,00\u202f€" in page and "Montant pour les essais" in page
    again = post(admin, "/admin/remuneration/smic", SMIC)
    assert again.status_code == 400 and "existe déjà à cette date" in again.text
    grid = {
        "age_band": "16-17",
        "contract_year": "1",
        "percent": "30",
        "grid_valid_from": "2027-01-01",
        "grid_source": "Décret d'essai",
    }
    assert post(admin, "/admin/remuneration/grille", grid).status_code == 302
    # The rules of the apprenticeship, on the same page (issue 19).
    assert "Jours de formation pratique pendant lesquels chacun peut rompre le contrat" in page
    assert "45 jours" in page and "L6222-18" in page
    assert "<td>1 apprenti</td>" in page and "<td>5 jours ouvrables</td>" in page
    # The rules are shown once, in the page (its title is a title, not a copy of the section).
    assert page.count('id="regles"') == 1 and "<h2" not in page.split("</title>")[0]
    rule = {
        "key": "trial_days",
        "value": "60",
        "rule_valid_from": "2031-01-01",
        "rule_source": "Loi d'essai",
    }
    assert post(admin, "/admin/remuneration/regles", rule).status_code == 302
    bad_rule = post(admin, "/admin/remuneration/regles", {**rule, "value": "beaucoup"})
    assert bad_rule.status_code == 400 and "Nombre attendu" in bad_rule.text
    assert 'href="#value"' in bad_rule.text
    again_rule = post(admin, "/admin/remuneration/regles", rule)
    assert again_rule.status_code == 400 and 'href="#rule_valid_from"' in again_rule.text
    refused = post(admin, "/admin/remuneration/grille", {**grid, "percent": "x"})
    assert refused.status_code == 400 and "Pourcentage attendu" in refused.text
    assert 'href="#percent"' in refused.text
    for user in (world.coordinator, world.candidate_user):
        other = sign_in(app.test_client(), user)
        assert other.get("/admin/remuneration").status_code == 403
        assert (
            post(
                other, "/admin/remuneration/smic", {**SMIC, "valid_from": "2028-01-01"}
            ).status_code
            == 403
        )
        assert post(other, "/admin/remuneration/regles", rule).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SmicValue)) == len(read_smic()) + 1


def test_the_age_band_through_the_candidate_s_form(
    app: Flask, world: World, session: Session
) -> None:
    me = sign_in(app.test_client(), world.candidate_user)
    form = me.get("/candidat/demande").text
    assert 'name="age_band"' in form and "16 ou 17 ans" in form
    data = {
        "metier_1": "aide-soignant",
        "commune": f.BOURG,
        "max_distance_km": "30",
        "age_band": "16-17",
        "needs_housing": "1",
    }
    assert post(me, "/candidat/demande", data).status_code == 302
    session.expire_all()
    assert world.request.age_band == AgeBand.UNDER_18
    bad = post(me, "/candidat/demande", {**data, "age_band": "12"})
    assert bad.status_code == 400 and "Valeur non reconnue" in bad.text
    assert post(me, "/candidat/demande", {**data, "age_band": ""}).status_code == 302
    session.expire_all()
    assert world.request.age_band is None


def test_the_age_band_through_the_api(api: Any, world: World, session: Session) -> None:  # noqa: F811
    me = api("candidate")
    url = f"/api/v1/requests/{world.request.id}"
    assert me.get(url).get_json()["age_band"] is None
    changed = me.patch(url, {"age_band": "21-25"})
    assert changed.status_code == 200 and changed.get_json()["age_band"] == "21-25"
    bad = me.patch(url, {"age_band": "vingt ans"})
    assert bad.status_code == 422 and "age_band" in bad.get_json()["errors"]
    assert me.patch(url, {"age_band": None}).get_json()["age_band"] is None


def test_the_offer_page_shows_the_budget(app: Flask, world: World, session: Session) -> None:
    # Without any SMIC (as before the shipped ones), the percents and no amount made up.
    session.execute(delete(SmicValue))
    session.commit()
    me = sign_in(app.test_client(), world.candidate_user)
    url = f"/offres/{world.offer.id}"
    page = me.get(url).text
    assert "Indiquer mon âge dans ma demande" in page
    world.request.age_band = AgeBand.FROM_18
    resource = f.make_housing_resource(session, monthly_cost_eur=380)
    world.suggestion.housing_source = "resource"  # type: ignore[assignment]
    world.suggestion.proposed_housing_id = resource.id
    session.commit()
    page = me.get(url).text
    assert "Votre salaire brut estimé" in page and "de 18 à 20 ans" in page
    assert "Le montant du SMIC n'est pas encore saisi" in page and "43 %" in page
    admin = sign_in(app.test_client(), world.admin)
    assert (
        post(admin, "/admin/remuneration/smic", {**SMIC, "valid_from": "2026-01-01"}).status_code
        == 302
    )
    page = me.get(url).text
    # 43 %, 51 %, 67 % of 1 800 €, less the 380 € of the foyer proposed with the suggestion.
    for amount in ("774,00", "918,00", "1\u202f206,00", "394,00", "538,00", "826,00"):
        assert f"{amount}\u202f€" in page
    assert "Reste après le logement" in page and "380,00\u202f€ par mois" in page
    assert "Aide au permis de conduire des apprentis" in page and "etudiant.gouv.fr" in page
    # Visitors and employers see no budget.
    assert "Votre budget" not in app.test_client().get(url).text
    assert "Votre budget" not in sign_in(app.test_client(), world.employer_user).get(url).text


def test_a_minor_reads_why_a_night_work_offer_is_not_for_them(
    app: Flask, world: World, session: Session
) -> None:
    world.offer.night_work = True
    world.request.age_band = AgeBand.UNDER_18
    session.commit()
    page = sign_in(app.test_client(), world.candidate_user).get(f"/offres/{world.offer.id}").text
    assert "elle ne correspond pas à votre demande" in page
    assert "Travail de nuit : interdit aux mineurs" in page
