"""Training centres, programmes and sessions: use cases, queries, CSV import and export."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import (
    AuditEntry,
    CentreKind,
    Commune,
    Role,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    TransitAccess,
)
from data.operations import training as ops
from data.operations.employers import set_training_centres
from data.operations.offers import update_offer
from data.operations.training_import import (
    COLUMNS,
    export_csv,
    import_centres,
    template_csv,
)
from data.operations.validation import UNKNOWN_CENTRE
from data.queries.training import (
    CentreSearch,
    centre_hits,
    centre_page,
    closing_deadlines,
    deadlines_between,
    employer_centres,
    find_centre,
    next_session,
    offers_within_reach,
    training_records,
)
from tests.data import factories as f

STAFF = Actor(channel=Actor.system().channel, user_id=None, role=Role.COORDINATOR)
OYONNAX = "01283"
GEX = "01173"
TREVOUX = "01427"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_centre_resolves_the_commune_and_cleans_each_field(session: Session) -> None:
    centre = ops.create_centre(
        session,
        STAFF,
        name="  Institut de formation (démo) ",
        kind="ifas_ifsi",
        commune="Oyonnax",
        website="www.exemple.fr",
        contact_email="Contact@Exemple.FR",
        contact_phone="+33 4 74 00 00 00",
        public_transport="oui",
    )
    assert centre.name == "Institut de formation (démo)"
    assert centre.commune_insee == OYONNAX
    assert centre.website == "https://www.exemple.fr"
    assert centre.contact_email == "contact@exemple.fr"
    assert centre.contact_phone == "04 74 00 00 00"
    assert centre.public_transport == TransitAccess.YES
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_id == centre.id)).one()
    assert entry.action == "create_training_centre"


def test_bad_centre_answers_every_field_in_french_and_writes_nothing(session: Session) -> None:
    before = _count(session, TrainingCentre)
    with pytest.raises(ValidationError) as caught:
        ops.create_centre(
            session,
            STAFF,
            name="",
            kind="lycée",
            commune="Nulle-Part-sur-Mer",
            website="pas un site",
            contact_email="nope",
        )
    errors = caught.value.errors
    assert set(errors) == {"name", "kind", "commune", "website", "contact_email"}
    assert errors["name"] == ["Ce champ est obligatoire."]
    assert errors["commune"][0].startswith("Commune introuvable")
    assert _count(session, TrainingCentre) == before


def test_only_staff_and_the_platform_write_centres(session: Session) -> None:
    employer_user = f.make_user(session, Role.EMPLOYER)
    with pytest.raises(PermissionDenied):
        ops.create_centre(session, Actor.user(employer_user), name="X", kind="cfa", commune=f.BOURG)
    with pytest.raises(PermissionDenied):
        ops.create_centre(session, Actor.visitor(), name="X", kind="cfa", commune=f.BOURG)


def test_programme_reads_the_metier_as_people_type_it(session: Session) -> None:
    centre = f.make_centre(session, metier=None)
    programme = ops.create_programme(
        session,
        STAFF,
        centre,
        metier="AES",
        diploma="DEAES",
        duration_months="18",
        rhythm="1 semaine en centre / 3 semaines en structure",
    )
    assert programme.metier_code == "accompagnant-educatif-social"
    assert programme.by_apprenticeship is True and programme.duration_months == 18
    with pytest.raises(ValidationError) as caught:
        ops.create_programme(session, STAFF, centre, metier="astronaute", duration_months=99)
    assert set(caught.value.errors) == {"metier", "duration_months"}
    assert "Métier inconnu" in caught.value.errors["metier"][0]


def test_session_dates_are_checked_together(session: Session) -> None:
    centre = f.make_centre(session, intakes=())
    programme = centre.programmes[0]
    with pytest.raises(ValidationError) as caught:
        ops.create_session(
            session,
            STAFF,
            programme,
            start_date="04/01/2027",
            end_date="2026-12-01",
            applications_open_on="01/03/2027",
            application_deadline="01/02/2027",
        )
    assert set(caught.value.errors) == {"end_date", "application_deadline", "applications_open_on"}
    with pytest.raises(ValidationError) as caught:
        ops.create_session(session, STAFF, programme, start_date="04/01/0207")
    assert "antérieure" in caught.value.errors["start_date"][0]
    intake = ops.create_session(
        session, STAFF, programme, start_date="04/01/2027", apprenticeship_places="12"
    )
    assert intake.start_date == date(2027, 1, 4) and intake.apprenticeship_places == 12
    # An update is checked against what the session already holds.
    with pytest.raises(ValidationError):
        ops.update_session(session, STAFF, intake, end_date="01/01/2027")
    ops.update_session(session, STAFF, intake, end_date="22/12/2027")
    assert intake.end_date == date(2027, 12, 22)


def test_deleting_a_centre_takes_its_programmes_and_frees_offers_and_requests(
    session: Session,
) -> None:
    centre = f.make_centre(session, intakes=(date(2027, 1, 4), date(2027, 9, 6)))
    offer = f.make_offer(session)
    request = f.make_request(session)
    update_offer(session, offer, partner_centre_id=centre.id)
    request.training_centre_id = centre.id
    set_training_centres(session, offer.site.employer, [centre.id])
    assert [c.id for c in employer_centres(session, offer.site.employer_id)] == [centre.id]
    ops.delete_centre(session, STAFF, centre)
    session.expire_all()
    assert offer.partner_centre_id is None and request.training_centre_id is None
    assert _count(session, TrainingProgramme) == 0 and _count(session, TrainingSession) == 0
    assert employer_centres(session, offer.site.employer_id) == []


def test_links_refuse_an_unknown_centre(session: Session) -> None:
    offer = f.make_offer(session)
    with pytest.raises(ValidationError) as caught:
        update_offer(session, offer, partner_centre_id=2**31 - 1)
    assert caught.value.errors == {"partner_centre_id": [UNKNOWN_CENTRE]}
    with pytest.raises(ValidationError) as caught:
        set_training_centres(session, offer.site.employer, [2**31 - 1])
    assert caught.value.errors == {"centre_id": [UNKNOWN_CENTRE]}
    session.expire_all()
    assert offer.partner_centre_id is None and offer.site.employer.training_centres == []


def test_queries_filter_by_metier_distance_intake_and_open_applications(
    session: Session,
) -> None:
    bourg = f.make_centre(session, name="IFAS de Bourg", intakes=(date(2027, 1, 4),))
    gex = f.make_centre(
        session, name="École de Gex", commune=GEX, metier="AES", intakes=(date(2027, 9, 6),)
    )
    ops.update_session(
        session,
        STAFF,
        gex.programmes[0].sessions[0],
        applications_open_on="01/03/2027",
        application_deadline="30/06/2027",
    )
    near = session.get(Commune, TREVOUX)
    assert near is not None
    hits = centre_hits(session, CentreSearch(near=near))
    assert [h.centre.id for h in hits] == [bourg.id, gex.id]  # Bourg is nearer to Trévoux
    assert hits[0].distance_km is not None and 40 < hits[0].distance_km < 55
    assert [h.centre.id for h in centre_hits(session, CentreSearch(near=near, max_km=60))] == [
        bourg.id
    ]
    by_metier = centre_hits(session, CentreSearch(metier="accompagnant-educatif-social"))
    assert [h.centre.id for h in by_metier] == [gex.id]
    window = CentreSearch(intake_from=date(2027, 6, 1), intake_until=date(2027, 12, 31))
    assert [h.centre.id for h in centre_hits(session, window)] == [gex.id]
    # Bourg's session has no dates to apply: open until it starts.
    opened = centre_hits(session, CentreSearch(open_on=date(2026, 12, 1)))
    assert [h.centre.id for h in opened] == [bourg.id]
    assert [h.centre.id for h in centre_hits(session, CentreSearch(open_on=date(2027, 4, 1)))] == [
        gex.id
    ]
    page = centre_page(session, 1, 1, CentreSearch(text="gex"))
    assert page.total == 1 and page.items[0].centre.id == gex.id
    found = find_centre(session, gex.id)
    assert found is not None
    assert next_session(found.programmes, date(2027, 1, 1)) == gex.programmes[0].sessions[0]
    assert next_session(found.programmes, date(2027, 10, 1)) is None


def test_training_records_are_what_the_engine_reads(session: Session) -> None:
    centre = f.make_centre(session, intakes=(date(2027, 9, 6), date(2027, 1, 4)))
    f.make_centre(session, name="Sans apprentissage", by_apprenticeship=False)
    records = {r["name"]: r for r in training_records(session)}
    record = records[centre.name]
    assert record["commune"] == f.BOURG and isinstance(record["lat"], float)
    assert record["programmes"] == [
        {"metier": "aide-soignant", "intakes": ["2027-01-04", "2027-09-06"]}
    ]
    assert records["Sans apprentissage"]["programmes"] == []
    since = training_records(session, since=date(2027, 2, 1))
    assert since[0]["programmes"][0]["intakes"] == ["2027-09-06"]


def _csv(*lines: str) -> io.BytesIO:
    return io.BytesIO("\n".join(lines).encode("utf-8"))


HEADER = "Centre;Type de centre;Commune;Métier;Diplôme;Rentrée;Date de fin;places"


def test_import_keeps_good_lines_and_reports_the_others_in_french(session: Session) -> None:
    report = import_centres(
        session,
        STAFF,
        _csv(
            HEADER,
            "IFAS (démo);IFAS;Bourg-en-Bresse;aide-soignante;DEAS;04/01/2027;22/12/2027;10",
            "IFAS (démo);;Bourg-en-Bresse;aide-soignante;DEAS;06/09/2027;;8",
            "École (démo);Lycée;Oyonnax;AES;;04/01/2027;;",
            "École (démo);travail_social;Oyonnax;pilote;;31/02/2027;;",
            "Centre seul (démo);GRETA;Gex;;;;;",
        ),
    )
    assert report.fatal == {}
    assert report.centres_created == 2 and report.programmes_created == 1
    assert report.sessions_created == 2
    rejected = dict(report.rejected)
    assert set(rejected) == {4, 5}
    assert rejected[4] == [
        "Type de centre : Type inconnu ; types possibles : « IFAS / IFSI », « Institut régional "
        "du travail social / école de travail social », « GRETA », « AFPA », « CFA », "
        "« Organisme privé », « Autre »."
    ]
    assert any(m.startswith("Métier : Métier inconnu") for m in rejected[5])
    assert "2 centres créés" in report.summary() and "2 lignes refusées" in report.summary()
    # The rejected lines left nothing: no « École (démo) » at all.
    names = set(session.scalars(select(TrainingCentre.name)))
    assert names == {"IFAS (démo)", "Centre seul (démo)"}


def test_import_refuses_a_file_without_its_required_columns(session: Session) -> None:
    report = import_centres(session, STAFF, _csv("Nom;Ville", "A;B"))
    assert report.fatal["file"][0].startswith("Colonnes manquantes : « Centre », « Commune »")
    with pytest.raises(PermissionDenied):
        import_centres(session, Actor.visitor(), _csv(HEADER))


def test_export_imports_back_unchanged_and_the_template_is_importable(session: Session) -> None:
    centre = f.make_centre(
        session,
        name="=Institut (démo)",
        commune=OYONNAX,
        public_transport="yes",
        intakes=(date(2027, 1, 4), date(2027, 9, 6)),
    )
    ops.create_programme(session, STAFF, centre, metier="EJE", by_apprenticeship=False)
    f.make_centre(session, name="Vide (démo)", metier=None, kind=CentreKind.AFPA)
    text = export_csv([h.centre for h in centre_hits(session)])
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].split(";") == [c.label for c in COLUMNS]
    assert len(lines) == 1 + 2 + 1 + 1  # two sessions, a programme without, a bare centre
    assert "'=Institut (démo)" in text  # a formula stays text in a spreadsheet
    before = (
        _count(session, TrainingCentre),
        _count(session, TrainingProgramme),
        _count(session, TrainingSession),
    )
    report = import_centres(session, STAFF, io.BytesIO(text.encode("utf-8")))
    assert report.rejected == [] and report.fatal == {}
    assert report.centres_created == report.centres_updated == 0
    assert report.programmes_created == report.sessions_created == report.sessions_updated == 0
    after = (
        _count(session, TrainingCentre),
        _count(session, TrainingProgramme),
        _count(session, TrainingSession),
    )
    assert after == before
    template = import_centres(session, STAFF, io.BytesIO(template_csv().encode("utf-8")))
    assert template.rejected == [] and template.sessions_created == 1


def test_deadlines_and_offers_within_reach(session: Session) -> None:
    centre = f.make_centre(session, intakes=(date(2027, 1, 4), date(2027, 9, 6)))
    first, second = centre.programmes[0].sessions
    ops.update_session(session, STAFF, first, application_deadline="01/12/2026")
    ops.update_session(session, STAFF, second, application_deadline="31/05/2027")
    soon = deadlines_between(session, date(2026, 11, 15), date(2026, 12, 15))
    assert soon == [first]
    assert deadlines_between(session, date(2026, 1, 1), date(2027, 12, 31), metiers=["x"]) == []
    near = f.make_offer(session)  # an aide-soignant at Bourg-en-Bresse, as the centre
    far = f.make_offer(session, f.make_site(session, commune_insee=GEX))
    other = f.make_offer(session, metier_code="educateur-specialise")
    ids = [hit.offer.id for hit in offers_within_reach(session, centre, max_km=30)]
    assert near.id in ids and far.id not in ids and other.id not in ids


def test_closing_deadlines_for_candidates_enrolled_nowhere_within_reach(session: Session) -> None:
    today = date(2026, 3, 2)
    centre = f.make_centre(session, intakes=(date(2026, 5, 4),))  # at Bourg-en-Bresse
    (intake,) = centre.programmes[0].sessions
    ops.update_session(session, STAFF, intake, application_deadline="12/03/2026")
    near = f.make_request(
        session, f.make_candidate(session, notify_frequency="weekly"), commune_insee=f.OYONNAX
    )
    enrolled = f.make_request(session, training_centre_id=centre.id)
    far = f.make_request(session, commune_insee=GEX)  # about 65 km away
    other = f.make_request(session, metiers=["éducateur spécialisé"])
    found = closing_deadlines(session, today)
    assert [(x.candidate_id, x.intake.id) for x in found] == [(near.candidate_id, intake.id)]
    assert 30 < found[0].distance_km < 40  # Bourg-en-Bresse to Oyonnax: beyond 30 km, within 60
    assert closing_deadlines(session, today, frequency="daily") == []
    assert closing_deadlines(session, today, candidate_ids=[far.candidate_id]) == []
    assert closing_deadlines(session, today, days=9) == []  # the deadline is in 10 days
    assert closing_deadlines(session, date(2026, 3, 13)) == []  # past
    far.max_distance_km = 300
    session.flush()
    assert {x.candidate_id for x in closing_deadlines(session, today)} == {
        near.candidate_id,
        far.candidate_id,
    }
    assert enrolled.training_centre_id == centre.id and other.metiers[0].metier_code
