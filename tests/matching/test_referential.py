"""Free-text resolution of métiers: real-world spellings, the whole referential, rubbish."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matching import InvalidInput, MetierReferential, normalize

from .conftest import metier_records

AS = "aide-soignant"
AES = "accompagnant-educatif-social"
ADVF = "assistant-de-vie-aux-familles"
ES = "educateur-specialise"
EJE = "educateur-jeunes-enfants"
ME = "moniteur-educateur"
ASS = "assistant-service-social"
TISF = "technicien-intervention-sociale-familiale"

# What candidates and employers actually type, and what a coordinator reads in it.
SPELLINGS = [
    ("aide soignante", AS),
    ("Aide-Soignante", AS),
    ("AIDE SOIGNANT", AS),
    ("aide soigante", AS),  # typo
    ("aide-soignant(e)", AS),
    ("aide soignante diplômée", AS),
    ("je cherche aide soignante en ehpad", AS),
    ("AS", AS),
    ("DEAS", AS),
    ("J1501", AS),  # ROME code
    ("AES", AES),
    ("DE AES", AES),
    ("D.E.A.E.S", AES),
    ("AMP", AES),
    ("aide médico-psychologique", AES),
    ("aide medico psy", AES),  # truncated words
    ("accompagnante éducative et sociale", AES),
    ("accompagnant educatif et sociale", AES),
    ("auxiliaire de vie sociale", AES),
    ("auxiliaire de vie", ADVF),
    ("auxilliaire de vie", ADVF),
    ("ADVF", ADVF),
    ("TP ADVF", ADVF),
    ("assistante de vie aux familles", ADVF),
    ("aide à domicile", ADVF),
    ("aide a domicile", ADVF),
    ("éduc spé", ES),
    ("educ spe", ES),
    ("éducatrice spécialisée", ES),
    ("educateur specialiser", ES),
    ("EDUCATEUR SPECIALISE", ES),
    ("ME", ME),
    ("moniteur éducateur", ME),
    ("monitrice éducatrice", ME),
    ("moniteur éducatrice", ME),
    ("moniteur éduc", ME),
    ("EJE", EJE),
    ("éducatrice de jeunes enfants", EJE),
    ("educatrice jeune enfant", EJE),
    ("jardinière d'enfants", EJE),
    ("assistante sociale", ASS),
    ("assitante sociale", ASS),
    ("assistant de service social", ASS),
    ("ASS", ASS),
    ("DEASS", ASS),
    ("TISF", TISF),
    ("technicienne de l'intervention sociale et familiale", TISF),
    ("travailleuse familiale", TISF),
]

RUBBISH = [
    "",
    "   ",
    "xyz",
    "asdfgh",
    "boulanger",
    "plombier",
    "informaticien",
    "secrétaire médicale",
    "assistante de direction",
    "éducateur sportif",
    "agent d'entretien",
    "aide",
    "XY",
    "123",
    "???",
]


@pytest.mark.parametrize(("text", "code"), SPELLINGS)
def test_real_world_spellings_resolve(ref: MetierReferential, text: str, code: str) -> None:
    res = ref.resolve(text)
    assert res.code == code, res
    assert 0 < res.score <= 100
    assert res.method in {"code", "exact", "abbreviation", "fuzzy"}


@pytest.mark.parametrize("text", RUBBISH)
def test_rubbish_stays_unresolved(ref: MetierReferential, text: str) -> None:
    res = ref.resolve(text)
    assert res.code is None and res.method == "none" and res.score == 0, res


def test_every_name_synonym_and_abbreviation_resolves_to_its_metier(
    ref: MetierReferential,
) -> None:
    for rec in metier_records():
        forms = [rec["code"], rec["label"], rec["label_feminine"], *rec["synonyms"]]
        forms += rec["abbreviations"]
        for form in forms:
            for variant in (form, form.upper(), form.lower()):
                assert ref.resolve(variant).code == rec["code"], (variant, rec["code"])


def test_abbreviations_are_exact_never_fuzzy(ref: MetierReferential) -> None:
    assert ref.resolve("AES").method == "abbreviation"
    # One letter off an acronym is not that acronym.
    for near in ("AEZ", "ADVV", "EJ", "TIS", "AMS"):
        assert ref.resolve(near).code is None, near


def test_ambiguous_forms_are_flagged_with_alternatives(ref: MetierReferential) -> None:
    res = ref.resolve("AS")
    assert (res.code, res.ambiguous) == (AS, True)
    assert ASS in res.alternatives
    assert res.note and "assistant" in res.note
    educ = ref.resolve("éducateur")
    assert educ.ambiguous and set(educ.alternatives) == {ME, EJE}
    assert ref.resolve("educatrice").ambiguous
    avs = ref.resolve("AVS")
    assert avs.code == AES and avs.ambiguous and "AESH" in (avs.note or "")
    assert ref.resolve("auxiliaire de vie").ambiguous
    assert not ref.resolve("aide soignante").ambiguous
    assert ref.resolve("aide soignante").alternatives == ()


def test_every_declared_ambiguous_form_is_flagged(ref: MetierReferential) -> None:
    for rec in metier_records():
        for form in rec["ambiguous"]:
            res = ref.resolve(form)
            assert res.code == rec["code"] and res.ambiguous and res.note, form


def test_resolve_many_resolves_each_distinct_text_once(ref: MetierReferential) -> None:
    texts = ["AS", "aide soigante", "AS", "boulanger", "aide soigante"]
    out = ref.resolve_many(texts)
    assert list(out) == ["AS", "aide soigante", "boulanger"]
    assert out["aide soigante"] == ref.resolve("aide soigante")
    assert out["boulanger"].code is None


def test_resolution_is_json_ready(ref: MetierReferential) -> None:
    d = ref.resolve("AS").to_dict()
    assert d["code"] == AS and d["ambiguous"] is True and isinstance(d["alternatives"], list)


def test_normalize() -> None:
    assert normalize("  Éduc. Spé ") == "educ spe"
    assert normalize("AIDE–SOIGNANTE") == "aide soignante"
    assert normalize("Cœur") == "coeur"


def test_referential_rejects_a_form_claimed_twice() -> None:
    records = [
        {"code": "a", "label": "Alpha", "synonyms": ["commun"]},
        {"code": "b", "label": "Beta", "synonyms": ["Commun"]},
    ]
    with pytest.raises(InvalidInput, match="claimed by both"):
        MetierReferential.from_records(records)


def test_referential_rejects_duplicate_codes() -> None:
    with pytest.raises(InvalidInput, match="duplicate code"):
        MetierReferential.from_records([{"code": "a", "label": "A"}, {"code": "a", "label": "B"}])


def test_resolve_rejects_non_strings(ref: MetierReferential) -> None:
    with pytest.raises(InvalidInput):
        ref.resolve_many([3])  # type: ignore[list-item]


# --- issue 14: the sector's other métiers, as people type them -----------------------------------

METIER_INPUTS = Path(__file__).with_name("metier_inputs.csv")


def _inputs() -> list[tuple[str, str | None]]:
    with METIER_INPUTS.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["expected"] or None) for r in csv.DictReader(f, delimiter=";")]


def test_the_list_of_real_inputs_is_large_and_covers_every_metier() -> None:
    inputs = _inputs()
    assert len(inputs) >= 60
    expected = {code for _, code in inputs if code is not None}
    assert expected == {rec["code"] for rec in metier_records()}
    assert any(code is None for _, code in inputs)


@pytest.mark.parametrize(("text", "code"), _inputs())
def test_real_inputs_give_the_metier_a_person_expects(
    ref: MetierReferential, text: str, code: str | None
) -> None:
    res = ref.resolve(text)
    assert res.code == code, res
    if code is None:
        assert res.method == "none"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("infirmier", "infirmier"),
        ("ASH", "agent-de-service-medico-social"),
        ("agent de service", "agent-de-service-medico-social"),
        ("AES", AES),
    ],
)
def test_words_with_another_meaning_carry_a_note(
    ref: MetierReferential, text: str, code: str
) -> None:
    res = ref.resolve(text)
    assert (res.code, res.ambiguous) == (code, True) and res.note


def test_the_eight_of_the_plan_are_its_priority(ref: MetierReferential) -> None:
    assert set(ref.priority_codes) == {AS, AES, ADVF, ES, EJE, ME, ASS, TISF}
    assert len(ref) == 16
    assert ref.priority(AS) and not ref.priority("infirmier")


def test_rome_codes_are_read_as_rome_4() -> None:
    # K1201 is CESF's v3 code and the 4.0 code of the assistant de service social.
    ref = MetierReferential.from_records(metier_records())
    assert ref.resolve("K1201").code == ASS
    assert ref.resolve("K1225").code == "conseiller-economie-sociale-familiale"
    assert ref.resolve("K1301").code is None


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("infirmière puéricultrice", "infirmier"),
        ("auxiliaire parentale", "auxiliaire-de-puericulture"),
        ("conseillère sociale", "conseiller-economie-sociale-familiale"),
        ("educatrice sportive", ES),
    ],
)
def test_unresolved_texts_get_suggestions(
    ref: MetierReferential, text: str, suggested: str
) -> None:
    assert ref.resolve(text).code is None
    suggestions = ref.suggest(text)
    assert suggested in suggestions and len(suggestions) <= 3


@pytest.mark.parametrize("text", ["zzzz", "", "123", "XY"])
def test_rubbish_gets_no_suggestion(ref: MetierReferential, text: str) -> None:
    assert ref.suggest(text) == ()


def test_mappings_resolve_texts_people_decided_on(ref: MetierReferential) -> None:
    mapped = ref.with_mappings({"Infirmière puéricultrice": "infirmier", "Plombier": None})
    res = mapped.resolve("infirmiere  PUERICULTRICE")
    assert (res.code, res.method) == ("infirmier", "mapping")
    outside = mapped.resolve("plombier")
    assert (outside.code, outside.method) == (None, "outside") and outside.note
    # The referential's own words win; the original is unchanged.
    assert mapped.with_mappings({"AES": None}).resolve("AES").code == AES
    assert ref.resolve("infirmière puéricultrice").code is None
    with pytest.raises(InvalidInput):
        ref.with_mappings({"x": "astronaute"})
