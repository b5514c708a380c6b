"""Housing resources (issue 17): use cases, permissions, the read layer, CSV import and export."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import NotFound, PermissionDenied, ValidationError
from data.models import (
    AuditEntry,
    Commune,
    HousingKind,
    HousingPeriod,
    HousingResource,
    Role,
)
from data.operations import housing as ops
from data.operations.employers import set_site_housing
from data.operations.housing_import import COLUMNS, export_csv, import_housing, template_csv
from data.queries.housing import (
    HousingManagerKind,
    InventorySearch,
    employer_housing,
    find_housing,
    inventory_hits,
    inventory_page,
)
from data.queries.housing_public import HousingSearch, available_on_filter, housing_hits
from tests.data import factories as f

STAFF = Actor(channel=Actor.system().channel, user_id=None, role=Role.COORDINATOR)
OYONNAX = "01283"
GEX = "01173"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _partner(session: Session, **overrides: object) -> HousingResource:
    values: dict[str, object] = {
        "name": "Foyer Les Tilleuls (démo)",
        "kind": "fjt",
        "partner_name": "Association Habitat Jeunes (démo)",
        "commune": "Bourg-en-Bresse",
        "beds": 20,
    }
    values.update(overrides)
    return ops.create_housing(session, STAFF, **values)


def test_create_cleans_every_field_and_audits_it(session: Session) -> None:
    resource = ops.create_housing(
        session,
        STAFF,
        name="  Foyer Les Tilleuls (démo) ",
        kind="fjt",
        partner_name="Association Habitat Jeunes (démo)",
        commune="Oyonnax",
        address="3 rue des Tilleuls",
        beds="20",
        beds_taken=12,
        monthly_cost_eur="380",
        cost_includes="charges comprises",
        aids=["visale", "apl", "apl"],
        min_age=16,
        max_age=30,
        apprentices_only="oui",
        min_stay_months=1,
        max_stay_months=24,
        periods=[{"starts_on": "01/09/2026", "ends_on": None}, ("2026-01-05", "2026-06-30")],
        contact_name="Accueil",
        contact_email="Accueil@Exemple.FR",
        contact_phone="+33 4 74 00 00 00",
        published=True,
    )
    assert resource.name == "Foyer Les Tilleuls (démo)"
    assert resource.commune_insee == OYONNAX and resource.kind == HousingKind.FJT
    assert resource.beds == 20 and resource.beds_taken == 12 and resource.beds_free == 8
    assert resource.aids == ["apl", "visale"]  # each once, in the enum's order
    assert resource.apprentices_only is True and resource.published is True
    assert resource.contact_email == "accueil@exemple.fr"
    assert resource.contact_phone == "04 74 00 00 00"
    assert [(p.starts_on, p.ends_on) for p in resource.periods] == [
        (date(2026, 1, 5), date(2026, 6, 30)),
        (date(2026, 9, 1), None),
    ]

    def available_on(day: date) -> bool:
        found = select(HousingResource.id).where(
            HousingResource.id == resource.id, available_on_filter(day)
        )
        return session.scalar(found) is not None

    assert available_on(date(2026, 7, 14)) is False
    assert available_on(date(2027, 7, 14)) is True
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "housing_resource", AuditEntry.object_id == resource.id
        )
    ).one()
    assert entry.action == "create_housing"


def test_bad_resource_answers_every_field_in_french_and_writes_nothing(session: Session) -> None:
    before = (_count(session, HousingResource), _count(session, HousingPeriod))
    with pytest.raises(ValidationError) as caught:
        ops.create_housing(
            session,
            STAFF,
            name="",
            kind="château",
            partner_name="Partenaire (démo)",
            commune="Nulle-Part-sur-Mer",
            beds=501,
            aids=["apl", "loyer gratuit"],
            min_age=12,
            min_stay_months=0,
            periods=[{"starts_on": "31/02/2027"}],
            contact_email="nope",
            monthly_cost_eur=-3,
        )
    errors = caught.value.errors
    assert set(errors) == {
        "name",
        "kind",
        "commune",
        "beds",
        "aids",
        "min_age",
        "min_stay_months",
        "periods",
        "contact_email",
        "monthly_cost_eur",
    }
    assert errors["name"] == ["Ce champ est obligatoire."]
    assert errors["beds"] == ["La valeur doit être comprise entre 0 et 500."]
    assert errors["min_age"] == ["La valeur doit être comprise entre 14 et 99."]
    assert errors["periods"][0].startswith("Période 1 : ")
    assert (_count(session, HousingResource), _count(session, HousingPeriod)) == before


def test_pairs_are_checked_together(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _partner(session, beds=2, beds_taken=3, min_age=30, max_age=18, min_stay_months=12,
                 max_stay_months=6, periods=[("2027-06-01", "2027-01-01")])  # fmt: skip
    errors = caught.value.errors
    assert errors["beds_taken"] == ["Les lits occupés ne peuvent pas dépasser le nombre de lits."]
    assert errors["max_age"] == ["L'âge maximal ne peut pas être inférieur à l'âge minimal."]
    assert set(errors) == {"beds_taken", "max_age", "max_stay_months", "periods"}
    assert "la fin ne peut pas précéder le début" in errors["periods"][0]
    resource = _partner(session, beds=4, beds_taken=2)
    with pytest.raises(ValidationError) as lower:
        ops.update_housing(session, STAFF, resource, beds=1)
    assert set(lower.value.errors) == {"beds_taken"}
    ops.set_beds_taken(session, STAFF, resource, 4)
    assert resource.beds_free == 0
    with pytest.raises(ValidationError):
        ops.set_beds_taken(session, STAFF, resource, 5)
    assert resource.beds_taken == 4


def test_exactly_one_manager(session: Session) -> None:
    with pytest.raises(ValidationError) as none:
        ops.create_housing(session, STAFF, name="X", kind="fjt", commune=f.BOURG, beds=1)
    assert "un seul gestionnaire" in none.value.errors["partner_name"][0]
    centre = f.make_centre(session)
    with pytest.raises(ValidationError):
        _partner(session, centre_id=centre.id)
    resource = _partner(session)
    ops.update_housing(session, STAFF, resource, centre_id=centre.id)  # the manager changes
    assert resource.centre_id == centre.id and resource.partner_name is None
    with pytest.raises(ValidationError):
        ops.update_housing(session, STAFF, resource, centre_id=2**31 - 1)


def test_a_structure_manages_its_own_only(session: Session) -> None:
    member = f.make_user(session, Role.EMPLOYER)
    other = f.make_user(session, Role.EMPLOYER)
    actor, other_actor = Actor.user(member), Actor.user(other)
    flat = ops.create_housing(
        session, actor, name="Appartement (démo)", kind="other", commune=f.BOURG, beds=2
    )
    assert flat.employer_id == member.employer_id  # no manager named: the structure
    assert [r.id for r in employer_housing(session, member.employer_id)] == [flat.id]
    ops.update_housing(session, actor, flat, beds=3, published=True)
    with pytest.raises(PermissionDenied):
        ops.update_housing(session, other_actor, flat, beds=1)
    with pytest.raises(PermissionDenied):
        ops.delete_housing(session, other_actor, flat)
    with pytest.raises(PermissionDenied):  # may not name a partner, a centre or another
        ops.create_housing(
            session, actor, name="X", kind="fjt", commune=f.BOURG, beds=1, partner_name="Asso"
        )
    with pytest.raises(PermissionDenied):
        ops.create_housing(
            session,
            actor,
            name="X",
            kind="fjt",
            commune=f.BOURG,
            beds=1,
            employer_id=other.employer_id,
        )
    with pytest.raises(PermissionDenied):
        ops.update_housing(session, actor, flat, partner_name="Asso")
    partner = _partner(session)
    with pytest.raises(PermissionDenied):
        ops.update_housing(session, actor, partner, beds=1)
    candidate = f.make_user(session, Role.CANDIDATE, candidate=f.make_candidate(session))
    for who in (Actor.user(candidate), Actor.visitor()):
        with pytest.raises(PermissionDenied):
            ops.create_housing(session, who, name="X", kind="fjt", commune=f.BOURG, beds=1)
    # Coordinators manage every resource, the structure's too.
    ops.set_published(session, STAFF, flat, False)
    ops.delete_housing(session, actor, flat)
    assert session.get(HousingResource, flat.id) is None
    with pytest.raises(NotFound):
        ops.update_housing(session, STAFF, flat.id, beds=1)


def test_site_resources_follow_the_site_and_keep_reserved_beds(session: Session) -> None:
    site = f.make_site(session, beds=2)
    f.make_offer(session, site, housing_beds=2)
    resource = site.housings[0]
    assert resource.site_id == site.id
    with pytest.raises(ValidationError) as fixed:
        ops.update_housing(session, STAFF, resource, commune=OYONNAX, kind="fjt")
    assert set(fixed.value.errors) == {"commune", "kind"}
    with pytest.raises(ValidationError) as reserved:
        ops.update_housing(session, STAFF, resource, beds=1)
    assert reserved.value.errors["beds"][0].startswith("Une offre de ce site réserve 2 lits")
    with pytest.raises(ValidationError):
        ops.delete_housing(session, STAFF, resource)
    ops.update_housing(session, STAFF, resource, beds=3, monthly_cost_eur=300, published=True)
    assert site.housing_beds == 3
    # The site form still works, on the same row.
    set_site_housing(session, site, kind=HousingKind.ESMS_ROOM, beds=4)
    assert resource.beds == 4 and len(site.housings) == 1


def test_queries_filter_by_kind_manager_commune_publication_cost_and_day(
    session: Session,
) -> None:
    fjt = _partner(session, commune=OYONNAX, monthly_cost_eur=380, published=True)
    centre = f.make_centre(session, commune=GEX)
    boarding = _partner(
        session,
        name="Internat (démo)",
        kind="boarding",
        partner_name=None,
        centre_id=centre.id,
        commune=GEX,
        monthly_cost_eur=200,
        periods=[("2026-09-01", "2027-06-30")],
        published=True,
    )
    site = f.make_site(session, beds=2)  # the structure's, on its site, not published
    on_site = site.housings[0]

    def ids(**filters: object) -> list[int]:
        return [h.resource.id for h in inventory_hits(session, InventorySearch(**filters))]  # type: ignore[arg-type]

    assert set(ids()) >= {fjt.id, boarding.id, on_site.id}
    assert ids(kind=HousingKind.BOARDING) == [boarding.id]
    assert ids(manager=HousingManagerKind.CENTRE) == [boarding.id]
    assert on_site.id in ids(manager=HousingManagerKind.EMPLOYER)
    assert fjt.id not in ids(manager=HousingManagerKind.EMPLOYER)
    assert on_site.id in ids(published=False) and fjt.id not in ids(published=False)
    assert ids(max_cost=220) == [boarding.id]  # the site's costs 250
    assert boarding.id not in ids(available_on=date(2027, 8, 1))
    assert boarding.id in ids(available_on=date(2027, 1, 10))
    oyonnax = session.get(Commune, OYONNAX)
    near = inventory_hits(session, InventorySearch(near=oyonnax, max_km=5))
    assert [h.resource.id for h in near] == [fjt.id] and near[0].distance_km == 0.0
    page = inventory_page(session, 1, 1, InventorySearch(published=True))
    assert page.total == 2 and len(page.items) == 1
    assert find_housing(session, boarding.id) is boarding
    assert find_housing(session, 2**31 - 1) is None
    # The published ones are « Se loger »'s, which the API's public reads share.
    public = housing_hits(session, HousingSearch(near=oyonnax, max_km=200))
    assert [h.resource.id for h in public] == [fjt.id, boarding.id]  # nearest first
    assert (
        housing_hits(session, HousingSearch(kind=HousingKind.FJT, max_cost=500))[0].resource is fjt
    )


HEADER = "nom;type;gestionnaire;siret;centre;commune;lits;lits_occupes;aides;disponible_du;publie"


def _csv(*lines: str) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def test_import_keeps_good_lines_and_reports_the_others_in_french(session: Session) -> None:
    employer = f.make_employer(session)
    centre = f.make_centre(session, name="IFAS Unique (démo)")
    report = import_housing(
        session,
        STAFF,
        _csv(
            HEADER,
            "Foyer (démo);FJT;Habitat Jeunes (démo);;;Bourg-en-Bresse;20;5;APL, Visale;"
            "01/09/2026;oui",
            f"Studio (démo);Chambre ou studio d'établissement;;{employer.siret};;Oyonnax;2;;;;non",
            f"Internat (démo);internat;;;{centre.name};Gex;30;;;;",
            "Château (démo);château;Asso;;;Bourg-en-Bresse;2;;;;",
            "Sans gestionnaire (démo);fjt;;;;Bourg-en-Bresse;2;;;;",
            "Trop (démo);fjt;Asso;;;Bourg-en-Bresse;2;3;loyer gratuit;;",
            "Fin avant (démo);fjt;Asso;;;Nulle-Part-sur-Mer;2;;;;",
        ),
    )
    assert report.fatal == {}
    assert report.created == 3
    rejected = dict(report.rejected)
    assert set(rejected) == {5, 6, 7, 8}
    assert rejected[5][0].startswith("Type de logement : Type inconnu ; types possibles : ")
    assert rejected[6][0].startswith("Gestionnaire : Indiquez un seul gestionnaire")
    assert rejected[7][0].startswith("Aides au logement : Aide inconnue : « loyer gratuit »")
    assert rejected[8][0].startswith("Commune : Commune introuvable")
    assert "3 logements créés" in report.summary() and "4 lignes refusées" in report.summary()
    by_name = {r.name: r for r in session.scalars(select(HousingResource))}
    foyer = by_name["Foyer (démo)"]
    assert foyer.partner_name == "Habitat Jeunes (démo)" and foyer.beds_taken == 5
    assert foyer.aids == ["apl", "visale"] and foyer.published is True
    assert [(p.starts_on, p.ends_on) for p in foyer.periods] == [(date(2026, 9, 1), None)]
    assert by_name["Studio (démo)"].employer_id == employer.id
    assert by_name["Internat (démo)"].centre_id == centre.id
    assert "Trop (démo)" not in by_name  # a rejected line leaves nothing
    # The same file again updates nothing; a corrected line updates its resource.
    again = import_housing(
        session,
        STAFF,
        _csv(HEADER, "Foyer (démo);FJT;Habitat Jeunes (démo);;;Bourg-en-Bresse;20;8;;;oui"),
    )
    assert again.updated == 1 and again.created == 0 and foyer.beds_taken == 8


def test_import_refuses_a_file_without_its_required_columns(session: Session) -> None:
    report = import_housing(session, STAFF, _csv("Nom;Ville", "A;B"))
    assert report.fatal["file"][0].startswith("Colonnes manquantes : « Commune »")
    employer_user = f.make_user(session, Role.EMPLOYER)
    with pytest.raises(PermissionDenied):
        import_housing(session, Actor.user(employer_user), _csv(HEADER))


def test_export_imports_back_unchanged_and_the_template_is_importable(session: Session) -> None:
    _partner(
        session,
        name="=Foyer (démo)",
        aids=["apl", "mobili_jeune"],
        periods=[("2026-09-01", "2027-06-30"), ("2027-09-01", None)],
        contact_phone="0474000000",
        min_age=16,
        max_age=30,
        apprentices_only=True,
        published=True,
    )
    centre = f.make_centre(session, name="Centre export (démo)")
    _partner(session, name="Internat (démo)", kind="boarding", partner_name=None,
             centre_id=centre.id, commune=GEX)  # fmt: skip
    f.make_site(session, beds=3)  # a site's housing exports too (and imports back unchanged)
    resources = [h.resource for h in inventory_hits(session)]
    text = export_csv(resources)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].split(";") == [c.label for c in COLUMNS]
    assert len(lines) == 1 + len(resources)
    assert "'=Foyer (démo)" in text and "APL, Mobili-Jeune" in text
    before = _count(session, HousingResource)
    report = import_housing(session, STAFF, io.BytesIO(text.encode("utf-8")))
    assert report.rejected == [] and report.fatal == {}
    assert report.created == report.updated == 0
    assert report.unchanged == len(resources)
    assert _count(session, HousingResource) == before
    template = import_housing(session, STAFF, io.BytesIO(template_csv().encode("utf-8")))
    assert template.rejected == [] and template.created == 1
