"""Métiers as people type them (issue 14): one resolver, refusal with suggestions, confirmation,
and the coordinators' decisions on unresolved texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from data import operations as ops
from data import queries
from data.actor import Actor
from data.errors import Conflict, PermissionDenied, ValidationError
from data.models import AuditEntry, MetierMapping, Role
from data.operations.metiers import MAP_ACTION
from tests.data.factories import make_candidate, make_request, make_user

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
BOURG = "01053"

# The texts issue 14 quotes: before, the form said « ne correspond à aucun métier connu : il est
# gardé tel quel »; "zzzz" was saved as a métier.
QUOTED = {
    "auxiliaire de puériculture": "auxiliaire-de-puericulture",
    "AEPE": "accompagnant-educatif-petite-enfance",
    "ASH": "agent-de-service-medico-social",
    "CESF": "conseiller-economie-sociale-familiale",
    "agent de service": "agent-de-service-medico-social",
    "AMP": "accompagnant-educatif-social",
    "infirmier": "infirmier",
}


@pytest.mark.parametrize(("text", "code"), QUOTED.items())
def test_the_quoted_texts_resolve_on_the_form(session, text: str, code: str) -> None:
    result = ops.create_request(
        session, make_candidate(session), metiers=[text], commune_insee=BOURG, keep_free_text=()
    )
    assert result.request.metier_codes == [code] and result.unresolved == ()


def test_junk_is_refused_with_suggestions_then_kept_once_confirmed(session) -> None:
    candidate = make_candidate(session)
    texts = ["aide soignante", "zzzz", "infirmière puéricultrice"]
    with pytest.raises(ops.FreeTextToConfirm) as info:
        ops.create_request(
            session, candidate, metiers=texts, commune_insee=BOURG, keep_free_text=()
        )
    assert info.value.refused == {
        "zzzz": "« zzzz » ne correspond à aucun métier connu.",
        "infirmière puéricultrice": "« infirmière puéricultrice » ne correspond à aucun métier "
        "connu. Vouliez-vous dire : « Infirmier » ou « Auxiliaire de puériculture » ?",
    }
    assert info.value.errors == {"metiers": list(info.value.refused.values())}
    assert candidate.request is None
    # Confirming one is not enough; confirming both keeps them as typed, unresolved.
    with pytest.raises(ops.FreeTextToConfirm) as info:
        ops.create_request(
            session, candidate, metiers=texts, commune_insee=BOURG, keep_free_text=["ZZZZ"]
        )
    assert list(info.value.refused) == ["infirmière puéricultrice"]
    result = ops.create_request(
        session,
        candidate,
        metiers=texts,
        commune_insee=BOURG,
        keep_free_text=["zzzz", "infirmière puéricultrice"],
    )
    assert result.unresolved == ("zzzz", "infirmière puéricultrice")
    assert result.request.metier_codes == ["aide-soignant"]


def test_a_confirmed_text_alone_makes_a_request_that_waits_for_a_coordinator(session) -> None:
    result = ops.create_request(
        session,
        make_candidate(session),
        metiers=["éducatrice sportive"],
        commune_insee=BOURG,
        keep_free_text=["éducatrice sportive"],
    )
    assert result.request.metier_codes == [] and result.unresolved == ("éducatrice sportive",)


def test_the_api_keeps_its_rule_one_resolved_text_is_enough(session) -> None:
    result = ops.create_request(
        session, make_candidate(session), metiers=["AES", "zzzz"], commune_insee=BOURG
    )
    assert result.unresolved == ("zzzz",)
    with pytest.raises(ValidationError):
        ops.create_request(session, make_candidate(session), metiers="zzzz", commune_insee=BOURG)


def _with_texts(session, *texts: str):  # type: ignore[no-untyped-def]
    request = make_request(session, make_candidate(session))
    return ops.update_request(session, request, metiers=list(texts)).request


def test_coordinators_see_each_unresolved_text_once_with_its_count(session) -> None:
    _with_texts(session, "AES", "Infirmière puéricultrice")
    _with_texts(session, "AS", "infirmiere  puericultrice")
    _with_texts(session, "AS", "Infirmière puéricultrice", "Plombière")
    found = {u.normalized: (u.text, u.requests) for u in queries.unresolved_metier_texts(session)}
    assert found == {
        "infirmiere puericultrice": ("Infirmière puéricultrice", 3),
        "plombiere": ("Plombière", 1),
    }


def test_mapping_a_text_re_resolves_the_requests_and_the_resolver_uses_it(session) -> None:
    coordinator = make_user(session, Role.COORDINATOR)
    first = _with_texts(session, "AES", "Infirmière puéricultrice")
    second = _with_texts(session, "AS", "infirmiere puericultrice")
    before = first.candidate.last_activity_at
    later = NOW + timedelta(days=1)

    result = ops.decide_metier_text(
        session, Actor.user(coordinator), "Infirmière puéricultrice", "infirmier", now=later
    )

    assert (result.rows_changed, result.requests_changed) == (2, 2)
    assert first.metier_codes == ["accompagnant-educatif-social", "infirmier"]
    assert second.metier_codes == ["aide-soignant", "infirmier"]
    # The rematch job's watermark moves; the person did nothing.
    assert first.updated_at == later and first.candidate.last_activity_at == before
    assert queries.unresolved_metier_texts(session) == []
    # From now on, the resolver of every form and of the CSV import knows it.
    res = ops.metier_resolver(session).resolve("infirmière puéricultrice")
    assert (res.code, res.method) == ("infirmier", "mapping")
    new = ops.create_request(
        session,
        make_candidate(session),
        metiers=["INFIRMIERE PUERICULTRICE"],
        commune_insee=BOURG,
        keep_free_text=(),
    )
    assert new.request.metier_codes == ["infirmier"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == MAP_ACTION))
    assert entry is not None and entry.actor_id == coordinator.id
    assert entry.details["metier_code"] == "infirmier" and entry.object_id == result.mapping.id


def test_marking_a_text_outside_the_sector_and_changing_one_s_mind(session) -> None:
    coordinator = Actor.user(make_user(session, Role.COORDINATOR))
    request = _with_texts(session, "AES", "plombier")
    ops.decide_metier_text(session, coordinator, "Plombier", "infirmier")
    assert request.metier_codes == ["accompagnant-educatif-social", "infirmier"]
    result = ops.decide_metier_text(session, coordinator, "plombier", None)
    assert result.requests_changed == 1 and result.mapping.metier_code is None
    assert request.metier_codes == ["accompagnant-educatif-social"]
    assert queries.unresolved_metier_texts(session) == []
    assert [(d.text, d.metier_code) for d in queries.metier_decisions(session)] == [
        ("Plombier", None)
    ]
    assert session.scalars(select(MetierMapping)).one().normalized == "plombier"
    # The form now refuses it as outside the sector.
    with pytest.raises(ops.FreeTextToConfirm) as info:
        ops.create_request(
            session,
            make_candidate(session),
            metiers=["AES", "plombier"],
            commune_insee=BOURG,
            keep_free_text=(),
        )
    assert info.value.refused == {
        "plombier": "« plombier » ne fait pas partie des métiers du secteur."
    }


def test_only_staff_decide_and_only_on_texts_the_referential_does_not_know(session) -> None:
    coordinator = Actor.user(make_user(session, Role.COORDINATOR))
    employer = Actor.user(make_user(session, Role.EMPLOYER))
    with pytest.raises(PermissionDenied):
        ops.decide_metier_text(session, employer, "plombier", None)
    with pytest.raises(Conflict):
        ops.decide_metier_text(session, coordinator, "AES", "infirmier")
    with pytest.raises(ValidationError):
        ops.decide_metier_text(session, coordinator, "plombier", "astronaute")
    with pytest.raises(ValidationError):
        ops.decide_metier_text(session, coordinator, "  ", None)
