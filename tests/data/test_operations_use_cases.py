"""Whole use cases in data/: who acts, a site with its housing, a CSV import, a commune typed as
text, an allocation proposal, and the one declaration of an offer's fields."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import SYSTEM, Actor, Channel
from data.errors import PermissionDenied, ValidationError
from data.models import HousingKind, Offer, Role, Site, SuggestionStatus
from data.operations import audit
from data.operations.allocation import propose_allocation
from data.operations.communes import COMMUNE_NOT_FOUND, commune_label, resolve_commune
from data.operations.offer_fields import (
    MAX_DESCRIPTION,
    MAX_PLACES,
    OFFER_FIELD_NAMES,
    OFFER_FIELDS,
)
from data.operations.offer_import import COLUMNS, REQUIRED_COLUMNS, import_offers, template_csv
from data.operations.sites import housing_field, save_site, site_fields
from data.operations.validation import ErrorCollector
from data.recompute import engine_id
from tests.data.factories import (
    BOURG,
    OYONNAX,
    assert_nothing_pending,
    make_employer,
    make_offer,
    make_request,
    make_site,
    make_suggestion,
    make_user,
)

# --- Actor ------------------------------------------------------------------------------------


def test_each_kind_of_actor_is_written_the_same_way_in_the_audit_log(session: Session) -> None:
    coordinator = make_user(session, Role.COORDINATOR)
    suggestion = make_suggestion(session)
    token = Actor.token(41, Role.COORDINATOR)
    by_page = ops.log_access(session, Actor.user(coordinator), "candidate", 1, ["email"])
    by_api = ops.log_access(session, token, "candidate", 1, ["email"])
    by_cli = ops.log_access(session, Actor.user(coordinator, Channel.CLI), "candidate", 1, [])
    by_job = ops.mark_contacted(
        session, make_suggestion(session, status=SuggestionStatus.APPROVED), Actor.job("contacts")
    )
    ops.approve_suggestion(session, suggestion, SYSTEM)
    assert (by_page.actor_id, by_page.details) == (coordinator.id, {"fields": ["email"]})
    assert (by_api.actor_id, by_api.details) == (
        None,
        {"fields": ["email"], "via": "api", "api_token_id": 41, "role": "coordinator"},
    )
    assert by_cli.details == {"fields": [], "via": "cli"}
    [job_line] = ops.pair_history(session, by_job.id)
    assert (job_line.actor_id, job_line.details["via"], job_line.details["job"]) == (
        None,
        "job",
        "contacts",
    )
    [system_line] = ops.pair_history(session, suggestion.id)
    assert (system_line.actor_id, system_line.details) == (
        None,
        {"from": "proposed", "to": "approved"},
    )
    assert suggestion.status_changed_by_id is None


def test_an_actor_acts_for_its_own_side_only(session: Session) -> None:
    suggestion = make_suggestion(session, status=SuggestionStatus.APPROVED)
    employer_id = suggestion.offer.site.employer_id
    own = Actor.token(7, Role.EMPLOYER, employer_id=employer_id)
    other = Actor.token(8, Role.EMPLOYER, employer_id=employer_id + 1000)
    candidate = Actor.token(9, Role.CANDIDATE, candidate_id=suggestion.request.candidate_id)
    assert own.may_act_for_employer(employer_id) and not other.may_act_for_employer(employer_id)
    assert SYSTEM.may_act_for_employer(employer_id) and Actor.job("x").may_act_for_candidate(1)
    assert Actor.token(1, Role.ADMIN).is_staff and not own.is_staff
    with pytest.raises(PermissionDenied):
        ops.set_employer_interest(session, suggestion, other, True)
    with pytest.raises(PermissionDenied):
        ops.set_employer_interest(session, suggestion, candidate, True)
    ops.set_employer_interest(session, suggestion, own, True)
    ops.set_candidate_interest(session, suggestion, candidate, True)
    lines = ops.pair_history(session, suggestion.id)
    assert [line.details["api_token_id"] for line in lines] == [7, 9]


def test_join_request_decisions_and_the_review_rule_record_the_actor(session: Session) -> None:
    from data.models import AuditEntry
    from data.operations import employers as employer_ops
    from data.platform_settings import ReviewRule, set_review_rule

    reviewer = make_user(session, Role.EMPLOYER)
    join = employer_ops.request_to_join(
        session, reviewer.employer_id, name="Jeanne Roux", email="jeanne.roux@example.org"
    )
    employer_ops.refuse_join_request(session, join, Actor.user(reviewer))
    assert join.decided_by_id == reviewer.id
    admin = make_user(session, Role.ADMIN)
    set_review_rule(session, ReviewRule("auto", 0.7), Actor.token(5, Role.ADMIN))
    set_review_rule(session, ReviewRule("approval", 0.7), Actor.user(admin))
    rule_lines = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "settings.review_rule")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.details.get("api_token_id")) for e in rule_lines[-2:]] == [
        (None, 5),
        (admin.id, None),
    ]
    join_lines = audit.entries_for(session, "structure_join_request", join.id)
    assert [(e.action, e.actor_id) for e in join_lines] == [
        ("join_requested", None),
        ("join_refused", reviewer.id),
    ]


# --- A commune typed as text ------------------------------------------------------------------


def test_resolve_commune_reads_a_label_a_code_or_a_name(session: Session) -> None:
    bourg = resolve_commune(session, "Bourg-en-Bresse (01053)")
    assert bourg.insee == BOURG
    assert resolve_commune(session, " 01283 ").insee == OYONNAX
    assert resolve_commune(session, "Oyonnax").insee == OYONNAX
    assert resolve_commune(session, commune_label(bourg)) is bourg
    for typed in ("", "   ", "Atlantide", None):
        errors = ErrorCollector()
        assert errors.run(resolve_commune, session, typed, "territoire") is None
        assert errors.errors == {"territoire": [COMMUNE_NOT_FOUND]}


# --- A site with its housing ------------------------------------------------------------------


def _site_form(**overrides: str) -> dict[str, str]:
    form = dict.fromkeys(site_fields(), "")
    form.update(name="Foyer du Lac", commune="Oyonnax", address="3 rue du Lac")
    form.update(overrides)
    return form


def test_save_site_creates_a_site_with_its_housing(session: Session) -> None:
    employer = make_employer(session)
    boss = make_user(session, Role.EMPLOYER, employer=employer)
    form = _site_form(
        **{
            housing_field("beds", HousingKind.FJT): "2",
            housing_field("cost", HousingKind.FJT): "380",
        }
    )
    site = save_site(session, Actor.user(boss), employer, None, form)
    assert (site.name, site.commune.insee, site.address) == (
        "Foyer du Lac",
        OYONNAX,
        "3 rue du Lac",
    )
    assert [(h.kind, h.beds, h.monthly_cost_eur) for h in site.housings] == [
        (HousingKind.FJT, 2, 380)
    ]
    # Editing: the beds of a kind set to empty are removed, the commune changes.
    edited = save_site(session, SYSTEM, employer.id, site.id, _site_form(commune="01053"))
    assert edited is site and site.commune.insee == BOURG and site.housings == []


def test_save_site_reports_every_field_by_its_form_name_and_keeps_nothing(
    session: Session,
) -> None:
    employer = make_employer(session)
    sites_before = session.scalar(select(func.count()).select_from(Site))
    with pytest.raises(ValidationError) as exc:
        save_site(session, SYSTEM, employer, None, _site_form(name="", commune="Atlantide"))
    assert exc.value.errors == {
        "commune": [COMMUNE_NOT_FOUND],
        "name": ["Ce champ est obligatoire."],
    }
    site = make_site(session, employer)
    form = _site_form(
        **{
            housing_field("beds", HousingKind.ESMS_ROOM): "3",
            housing_field("beds", HousingKind.OTHER): "deux",
            housing_field("cost", HousingKind.FJT): "-5",
        }
    )
    with pytest.raises(ValidationError) as exc:
        save_site(session, SYSTEM, employer, site, form)
    assert set(exc.value.errors) == {
        housing_field("beds", HousingKind.OTHER),
        housing_field("cost", HousingKind.FJT),
    }
    assert_nothing_pending(session)
    session.expire_all()
    # Nothing of the failed save stayed: not the new name, not the studio beds.
    assert site.name != "Foyer du Lac" and site.housings == []
    assert session.scalar(select(func.count()).select_from(Site)) == sites_before + 1


def test_save_site_refuses_an_actor_of_another_structure(session: Session) -> None:
    site = make_site(session)
    stranger = make_user(session, Role.EMPLOYER)
    with pytest.raises(PermissionDenied):
        save_site(session, Actor.user(stranger), site.employer, site, _site_form())
    with pytest.raises(PermissionDenied):
        save_site(session, SYSTEM, stranger.employer_id, site, _site_form())


# --- Importing offers from CSV ----------------------------------------------------------------


def test_import_reports_each_rejected_line_in_french(session: Session) -> None:
    site = make_site(session)
    csv_text = (
        "lieu;metier;places;date_debut;permis_exige;description\n"
        f"{site.name};Aide-soignant;2;;non;Poste de jour en EHPAD.\n"
        "Site inconnu;aide-soignant;1;;non;\n"
        f"{site.name};plombier;1;;non;\n"
        f"{site.name};aide-soignant;{MAX_PLACES + 1};;non;\n"
        "\n"
        f"{site.name};aide-soignant;1;;peut-être;\n"
    )
    report = import_offers(session, SYSTEM, site.employer, io.BytesIO(csv_text.encode("cp1252")))
    assert [o.places for o in report.created] == [2]
    assert report.created[0].diploma == "DEAS" and report.created[0].status.value == "draft"
    assert report.rejected_lines() == [
        {
            "line": 3,
            "messages": [
                "Lieu d'accueil : aucun de vos lieux d'accueil ne s'appelle « Site inconnu »."
            ],
        },
        {"line": 4, "messages": ["Métier : Métier inconnu du référentiel."]},
        {
            "line": 5,
            "messages": [
                f"Nombre de places : La valeur doit être comprise entre 1 et {MAX_PLACES}."
            ],
        },
        {"line": 7, "messages": ["Permis exigé : « oui » ou « non » attendu."]},
    ]
    assert report.summary() == "1 offre créée comme brouillon, 4 lignes refusées."
    assert not report.fatal
    assert session.scalar(select(func.count()).select_from(Offer)) == 1


def test_import_reads_metiers_as_the_forms_do_and_dates_in_both_formats(session: Session) -> None:
    # Issue 14: "Aide soignante" and "AES" were « Métier inconnu du référentiel. »; the columns
    # are named as on the offer form, and dates are JJ/MM/AAAA or AAAA-MM-JJ.
    site = make_site(session)
    csv_text = (
        "Lieu d'accueil;Métier;Date de début;Nombre de places\n"
        f"{site.name};Aide soignante;01/09/2027;1\n"
        f"{site.name};AES;2027-09-15;2\n"
        f"{site.name};auxiliaire de puériculture;1/10/2027;1\n"
        f"{site.name};zzzz;01/09/2027;1\n"
        f"{site.name};infirmière puéricultrice;31/09/2027;1\n"
    )
    report = import_offers(session, SYSTEM, site.employer, io.BytesIO(csv_text.encode()))
    assert [(o.metier_code, o.start_date) for o in report.created] == [
        ("aide-soignant", date(2027, 9, 1)),
        ("accompagnant-educatif-social", date(2027, 9, 15)),
        ("auxiliaire-de-puericulture", date(2027, 10, 1)),
    ]
    assert report.rejected_lines() == [
        {"line": 5, "messages": ["Métier : Métier inconnu du référentiel."]},
        {
            "line": 6,
            "messages": [
                "Métier : Métier inconnu du référentiel. Vouliez-vous dire : « Infirmier » ou "
                "« Auxiliaire de puériculture » ?",
                "Date de début : Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ.",
            ],
        },
    ]


def test_the_import_template_names_the_columns_as_the_form_does(session: Session) -> None:
    header = template_csv()
    assert header.splitlines() == [";".join(f.label for f in OFFER_FIELDS)]
    # A file made from the template is read back.
    site = make_site(session)
    line = {f.label: "" for f in OFFER_FIELDS}
    line.update({"Lieu d'accueil": site.name, "Métier": "AES", "Date de début": "01/09/2027"})
    body = header + ";".join(line[f.label] for f in OFFER_FIELDS) + "\n"
    report = import_offers(session, SYSTEM, site.employer, io.BytesIO(body.encode("cp1252")))
    assert not report.rejected and [o.metier_code for o in report.created] == [
        "accompagnant-educatif-social"
    ]


def test_import_refuses_a_file_without_its_columns_and_another_structure(
    session: Session,
) -> None:
    site = make_site(session)
    report = import_offers(session, SYSTEM, site.employer, io.BytesIO(b"nom,ville\nx,y\n"))
    assert report.fatal["file"][0].startswith(
        "Colonnes manquantes : « Lieu d'accueil », « Métier »."
    )
    stranger = make_user(session, Role.EMPLOYER)
    with pytest.raises(PermissionDenied):
        import_offers(session, Actor.user(stranger), site.employer, io.BytesIO(b"lieu;metier\n"))
    assert session.scalar(select(func.count()).select_from(Offer)) == 0


# --- Proposing an allocation ------------------------------------------------------------------


def test_propose_allocation_assigns_requests_to_open_offers(session: Session) -> None:
    near = make_offer(session, places=1)
    make_offer(session, publish=False)  # a draft is no open offer
    first = make_request(session)
    second = make_request(session, commune_insee=OYONNAX, max_distance_km=5)
    proposal = propose_allocation(session)
    assigned = {a.request_id: a.offer_id for a in proposal.assignments}
    assert assigned == {engine_id(first.id): engine_id(near.id)}
    assert [u.request_id for u in proposal.unassigned] == [engine_id(second.id)]
    assert session.scalar(select(func.count()).select_from(Offer)) == 2  # nothing written


# --- The offer's fields, declared once --------------------------------------------------------


def test_the_offer_declaration_drives_the_operation_and_the_import(session: Session) -> None:
    assert set(COLUMNS.values()) == set(OFFER_FIELD_NAMES)
    assert REQUIRED_COLUMNS == ("lieu", "metier")
    site = make_site(session)
    # Every declared default is what a new offer gets when the field is not given.
    offer = ops.create_offer(session, site.employer, site_id=site.id, metier_code="aide-soignant")
    for field in OFFER_FIELDS:
        if field.default is not None:
            assert getattr(offer, field.name) == field.default, field.name
    with pytest.raises(ValidationError) as exc:
        ops.update_offer(
            session, offer, places=MAX_PLACES + 1, description="x" * (MAX_DESCRIPTION + 1)
        )
    assert set(exc.value.errors) == {"places", "description"}
    with pytest.raises(ValidationError) as exc:
        ops.create_offer(session, site.employer, site_id=site.id)
    assert exc.value.errors == {"metier_code": ["Ce champ est obligatoire."]}
    with pytest.raises(ValidationError) as exc:
        ops.create_offer(session, site.employer, site_id=site.id, metier_code="x", salary=1)
    assert exc.value.errors == {"salary": ["Ce champ ne peut pas être modifié ici."]}


def test_a_token_that_names_its_account_names_it_in_the_audit_log(session: Session) -> None:
    coordinator = make_user(session, Role.COORDINATOR)
    actor = Actor.token(12, Role.COORDINATOR, user_id=coordinator.id)
    line = ops.log_access(session, actor, "candidate", 1, ["phone"])
    assert (line.actor_id, line.details["via"], line.details["api_token_id"]) == (
        coordinator.id,
        "api",
        12,
    )


def test_create_offer_as_finds_the_structure_from_the_actor_or_the_site(
    session: Session,
) -> None:
    site = make_site(session)
    other_site = make_site(session)
    boss = make_user(session, Role.EMPLOYER, employer=site.employer)
    fields = {"metier_code": "aide-soignant"}
    own = ops.create_offer_as(session, Actor.user(boss), site_id=site.id, **fields)
    assert own.site is site
    with pytest.raises(ValidationError) as exc:
        ops.create_offer_as(session, Actor.user(boss), site_id=other_site.id, **fields)
    assert exc.value.errors == {"site_id": ["Ce site n'appartient pas à votre structure."]}
    staff = Actor.token(3, Role.COORDINATOR)
    by_staff = ops.create_offer_as(session, staff, site_id=other_site.id, **fields)
    assert by_staff.site.employer_id == other_site.employer_id
    with pytest.raises(ValidationError) as exc:
        ops.create_offer_as(session, staff, site_id=2**31 - 1, **fields)
    assert exc.value.errors == {"site_id": ["Site inconnu."]}
    with pytest.raises(PermissionDenied):
        ops.create_offer_as(session, Actor.token(4, Role.CANDIDATE, candidate_id=1), **fields)
    assert session.scalar(select(func.count()).select_from(Offer)) == 2
