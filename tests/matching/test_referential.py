"""Free-text resolution of métiers: real-world spellings, the whole referential, rubbish."""

from __future__ import annotations

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
    "infirmière",
    "secrétaire médicale",
    "auxiliaire de puériculture",
    "assistante de direction",
    "éducateur sportif",
    "agent d'entretien",
    "aide",
    "ASH",
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
