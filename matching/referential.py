"""The métier referential: codes, labels, related métiers, and free-text resolution.

Candidates type what they want in their own words. :meth:`MetierReferential.resolve` maps such a
text to a métier code in four steps, first hit wins:

1. ``code``: the text is a referential code (``aide-soignant``) or a ROME 4.0 code (``J1501``);
2. ``exact``: once normalised (case, accents, punctuation), the text is a label, a feminine label
   or a synonym of the referential;
3. ``abbreviation``: the text is an abbreviation of the table (``AS``, ``AES``, ``ADVF``...),
   possibly behind a diploma prefix (``DE AES``, ``TP ADVF``). Acronyms are matched exactly,
   never fuzzily: two- and three-letter strings give many false fuzzy hits;
4. ``mapping`` (or ``outside``): once normalised, the text is one that people decided on
   (:meth:`MetierReferential.with_mappings`: a coordinator mapped it to a métier, or marked it
   as outside the sector, which leaves it unresolved without looking further);
5. ``fuzzy``, the best of: rapidfuzz's ``ratio`` against every label and synonym, kept at
   :data:`FUZZY_CUTOFF` or above (typos, gender forms); ``partial_ratio`` of the multi-word
   names that fit inside the text, kept at :data:`PARTIAL_CUTOFF` or above (extra words: "aide
   soignante en EHPAD"); failing both, truncated words ("moniteur éduc", "aide médico psy").

Otherwise the text is unresolved (``code is None``, ``method == "none"``): it is reported,
never silently matched, and :meth:`MetierReferential.suggest` offers the nearest métiers.
ROME codes are read as ROME 4.0 only: some ROME v3 codes are the 4.0 codes of other fiches
(K1301 is AES's v3 code and the 4.0 "Éducateur en locomotion"). Forms that the referential
declares ambiguous (``AS``, ``AVS``, ``éducateur``) resolve to their usual métier with
``ambiguous=True``, a French note and the other codes they may mean.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from .errors import InvalidInput, UnknownMetier

__all__ = [
    "FUZZY_CUTOFF",
    "PARTIAL_CUTOFF",
    "SUGGEST_CUTOFF",
    "MIN_FUZZY_LENGTH",
    "MetierReferential",
    "Resolution",
    "normalize",
]

#: Minimum rapidfuzz ``ratio`` (0-100) of the whole text against a name.
FUZZY_CUTOFF = 85.0
#: Minimum rapidfuzz ``partial_ratio`` (0-100) of a multi-word name found inside a longer text.
PARTIAL_CUTOFF = 95.0
#: Minimum rapidfuzz ``WRatio`` (0-100) of a name to be suggested for an unresolved text.
SUGGEST_CUTOFF = 70.0
#: How many métiers :meth:`MetierReferential.suggest` offers at most.
MAX_SUGGESTIONS = 3
#: The French note of a text that the coordination marked as outside the sector.
OUTSIDE_NOTE = "La coordination a classé ce texte hors du secteur social et médico-social."
#: Score given to a match on truncated words ("éduc spé" for "éducateur spécialisé").
TRUNCATED_SCORE = 90.0
#: Normalised texts shorter than this are never matched fuzzily (acronyms, rubbish).
MIN_FUZZY_LENGTH = 5

# Words that may precede an abbreviation without changing its meaning ("DE AES", "TP ADVF").
_DIPLOMA_PREFIXES = (
    "diplome d etat",
    "diplome",
    "titre professionnel",
    "titre pro",
    "tp",
    "de",
)
_STOPWORDS = frozenset({"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ROME = re.compile(r"^[A-N][0-9]{4}$")


def normalize(text: str) -> str:
    """Return ``text`` lower-cased, without accents or punctuation, spaces collapsed.

    Dots vanish so that ``D.E.A.E.S.`` reads ``deaes``; other punctuation separates words.

    >>> normalize("  Éduc. Spé ")
    'educ spe'
    >>> normalize("D.E.A.E.S")
    'deaes'
    >>> normalize("Aide-Soignante (Œuvre)")
    'aide soignante oeuvre'
    """
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    stripped = stripped.replace(".", "")
    return _NON_ALNUM.sub(" ", stripped).strip()


def _acronym(normalized: str) -> str:
    return "".join(w[0] for w in normalized.split() if w not in _STOPWORDS)


@dataclass(frozen=True)
class Resolution:
    """What a free text means in the referential.

    ``score`` is a similarity in [0, 100]: 100 for codes, exact names and abbreviations, the
    rapidfuzz score for fuzzy hits, 0 when unresolved.
    """

    text: str
    code: str | None
    score: float
    method: str  # "code" | "exact" | "abbreviation" | "mapping" | "fuzzy" | "outside" | "none"
    ambiguous: bool = False
    alternatives: tuple[str, ...] = ()
    note: str | None = None
    matched: str | None = None  # the referential form that matched, normalised

    @property
    def resolved(self) -> bool:
        """Whether the text gave a métier code."""
        return self.code is not None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "text": self.text,
            "code": self.code,
            "score": self.score,
            "method": self.method,
            "ambiguous": self.ambiguous,
            "alternatives": list(self.alternatives),
            "note": self.note,
        }


@dataclass(frozen=True)
class _Metier:
    code: str
    label: str
    label_feminine: str
    level: int
    entry_level_min: int
    rome: tuple[str, ...]
    priority: bool
    names: tuple[str, ...]  # normalised label, feminine label and synonyms
    abbreviations: tuple[str, ...]  # normalised


class MetierReferential:
    """The métiers of the sector, built once from the referential's records; immutable.

    >>> ref = MetierReferential.from_records([
    ...     {"code": "aide-soignant", "label": "Aide-soignant", "label_feminine": "Aide-soignante",
    ...      "abbreviations": ["AS"], "related": []}])
    >>> ref.resolve("aide soignante").code
    'aide-soignant'
    >>> ref.resolve("AS").method
    'abbreviation'
    """

    __slots__ = (
        "codes",
        "_metiers",
        "_related",
        "_by_code",
        "_by_rome",
        "_exact",
        "_abbreviations",
        "_ambiguous",
        "_choices",
        "_choice_codes",
        "_choice_len",
        "_choice_multi",
        "_mapped",
    )

    codes: tuple[str, ...]

    def __init__(
        self,
        metiers: Sequence[_Metier],
        related: Mapping[str, frozenset[str]],
        ambiguous: Mapping[str, tuple[str, str, tuple[str, ...]]],
    ) -> None:
        self.codes = tuple(m.code for m in metiers)
        self._metiers = {m.code: m for m in metiers}
        self._related = dict(related)
        self._by_code = {m.code.casefold(): m.code for m in metiers}
        self._by_rome: dict[str, str] = {}
        for m in metiers:
            for rome in m.rome:
                self._by_rome.setdefault(rome.upper(), m.code)
        self._exact: dict[str, str] = {}
        self._abbreviations: dict[str, str] = {}
        for m in metiers:
            for name in m.names:
                _claim(self._exact, name, m.code, "synonyms")
            for abbr in m.abbreviations:
                _claim(self._abbreviations, abbr, m.code, "abbreviations")
        self._ambiguous = dict(ambiguous)
        choices = sorted({(n, c) for n, c in self._exact.items() if len(n) >= MIN_FUZZY_LENGTH})
        self._choices = [n for n, _ in choices]
        self._choice_codes = [c for _, c in choices]
        self._choice_len = np.array([len(n) for n in self._choices], dtype=np.int64)
        self._choice_multi = np.array([" " in n for n in self._choices], dtype=bool)
        self._mapped: dict[str, str | None] = {}

    # --- construction --------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> MetierReferential:
        """Build the referential from ``metiers.json``'s ``metiers`` list (plain dicts).

        Required keys: ``code``, ``label``; optional: ``label_feminine``, ``rome`` (None: not
        known), ``priority`` (one of the plan's priority métiers), ``diploma``
        (with ``level``), ``entry_level_min``, ``synonyms``, ``abbreviations``, ``ambiguous``
        (form -> French note), ``related`` (codes). Relations are made symmetric.
        Raises :class:`InvalidInput` on a duplicate code, an unknown related code, or a form
        claimed by two métiers.
        """
        metiers: list[_Metier] = []
        seen: set[str] = set()
        raw_related: dict[str, list[str]] = {}
        raw_ambiguous: dict[str, dict[str, str]] = {}
        for i, rec in enumerate(records):
            metier = _metier(i, rec, seen)
            metiers.append(metier)
            raw_related[metier.code] = list(rec.get("related", ()))
            raw_ambiguous[metier.code] = dict(rec.get("ambiguous", {}))
        related: dict[str, set[str]] = {m.code: set() for m in metiers}
        for code, others in raw_related.items():
            for other in others:
                if other not in related:
                    raise InvalidInput(
                        f"unknown related code {other!r}", record=f"métier {code}", field="related"
                    )
                if other != code:
                    related[code].add(other)
                    related[other].add(code)
        ambiguous: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for m in metiers:
            for form, note in raw_ambiguous[m.code].items():
                key = normalize(form)
                alternatives = tuple(
                    o.code for o in metiers if o.code != m.code and _may_mean(key, o)
                )
                ambiguous[key] = (m.code, str(note), alternatives)
        return cls(metiers, {c: frozenset(s) for c, s in related.items()}, ambiguous)

    # --- lookups -------------------------------------------------------------------------------

    def _get(self, code: str) -> _Metier:
        try:
            return self._metiers[code]
        except KeyError:
            raise UnknownMetier(f"unknown métier code {code!r}", field="metier") from None

    def __contains__(self, code: object) -> bool:
        return code in self._metiers

    def __len__(self) -> int:
        return len(self.codes)

    def label(self, code: str, feminine: bool = False) -> str:
        """Return the label of ``code`` (masculine by default, as the referential writes it)."""
        m = self._get(code)
        return m.label_feminine if feminine else m.label

    def priority(self, code: str) -> bool:
        """Tell whether ``code`` is one of the plan's priority métiers."""
        return self._get(code).priority

    @property
    def priority_codes(self) -> tuple[str, ...]:
        """The codes of the plan's priority métiers, in the referential's order."""
        return tuple(c for c in self.codes if self._metiers[c].priority)

    def with_mappings(self, mappings: Mapping[str, str | None]) -> MetierReferential:
        """Return a copy that also resolves the texts people decided on (this one is unchanged).

        ``mappings``: text -> métier code, or None for a text outside the sector. Texts are
        compared once normalised. Raises :class:`UnknownMetier` on a code not in the referential.

        >>> ref = MetierReferential.from_records([{"code": "infirmier", "label": "Infirmier"}])
        >>> mapped = ref.with_mappings({"IDEL": "infirmier", "Plombier": None})
        >>> mapped.resolve("idel").method, mapped.resolve("plombier").method
        ('mapping', 'outside')
        >>> ref.resolve("idel").method
        'none'
        """
        copy = object.__new__(MetierReferential)
        for name in self.__slots__:
            setattr(copy, name, getattr(self, name))
        mapped = dict(self._mapped)
        for text, code in mappings.items():
            if code is not None:
                self._get(code)
            key = normalize(text)
            if key:
                mapped[key] = code
        copy._mapped = mapped
        return copy

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
        """Return up to ``limit`` codes whose names come nearest to ``text``, best first.

        For a text that does not resolve: rapidfuzz's ``WRatio`` of its normalised form against
        every label and synonym, kept at :data:`SUGGEST_CUTOFF` or above (ties by name).

        >>> ref = MetierReferential.from_records([{"code": "infirmier", "label": "Infirmier"}])
        >>> ref.suggest("infirmier de bloc"), ref.suggest("zzzz")
        (('infirmier',), ())
        """
        norm = normalize(text)
        if len(norm) < 3 or not any(c.isalpha() for c in norm):
            return ()
        hits = process.extract(
            norm,
            self._choices,
            scorer=fuzz.WRatio,
            processor=None,  # both sides normalised
            score_cutoff=SUGGEST_CUTOFF,
            limit=None,
        )
        ranked = sorted(hits, key=lambda h: (-h[1], h[0]))
        codes: dict[str, None] = {}
        for _name, _score, index in ranked:
            codes.setdefault(self._choice_codes[index], None)
        return tuple(codes)[:limit]

    def related(self, code: str) -> frozenset[str]:
        """Return the codes related to ``code`` (symmetric, never ``code`` itself)."""
        self._get(code)
        return self._related[code]

    def entry_level_min(self, code: str) -> int:
        """Return the lowest diploma level (0 = none, 3 = CAP, 4 = bac...) to enter the training."""
        return self._get(code).entry_level_min

    def level(self, code: str) -> int:
        """Return the level of the diploma the métier's training leads to."""
        return self._get(code).level

    # --- resolution ----------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """Resolve one free text to a métier code (see the module docstring for the steps)."""
        return self.resolve_many([text])[text]

    def resolve_many(self, texts: Iterable[str]) -> dict[str, Resolution]:
        """Resolve each distinct text once; fuzzy matching runs in one ``cdist`` call."""
        out: dict[str, Resolution] = {}
        fuzzy: list[tuple[str, str]] = []
        for text in texts:
            if text in out:
                continue
            if not isinstance(text, str):
                raise InvalidInput(f"a string is required, not {type(text).__name__}")
            res, norm = self._resolve_exact(text)
            if res is not None:
                out[text] = res
            else:
                out[text] = Resolution(text=text, code=None, score=0.0, method="none")
                if len(norm) >= MIN_FUZZY_LENGTH and any(c.isalpha() for c in norm):
                    fuzzy.append((text, norm))
        if fuzzy:
            for (text, _norm), (matched, code, score) in zip(
                fuzzy, self._fuzzy([n for _, n in fuzzy]), strict=True
            ):
                if code is not None:
                    out[text] = self._resolution(text, matched, code, score, "fuzzy")
        return out

    def _resolve_exact(self, text: str) -> tuple[Resolution | None, str]:
        stripped = text.strip()
        if stripped.casefold() in self._by_code:
            code = self._by_code[stripped.casefold()]
            # A code that is also a word ("infirmier") keeps that word's ambiguity note.
            res = self._resolution(text, normalize(code), code, 100.0, "code")
            return replace(res, matched=code), ""
        if _ROME.match(stripped.upper()) and stripped.upper() in self._by_rome:
            code = self._by_rome[stripped.upper()]
            return self._resolution(text, stripped.upper(), code, 100.0, "code"), ""
        norm = normalize(text)
        if not norm:
            return None, norm
        if norm in self._exact:
            return self._resolution(text, norm, self._exact[norm], 100.0, "exact"), norm
        for candidate in _without_prefixes(norm):
            if candidate in self._abbreviations:
                code = self._abbreviations[candidate]
                return self._resolution(text, candidate, code, 100.0, "abbreviation"), norm
        if norm in self._mapped:
            mapped = self._mapped[norm]
            if mapped is None:
                return Resolution(text, None, 0.0, "outside", note=OUTSIDE_NOTE, matched=norm), ""
            return Resolution(text, mapped, 100.0, "mapping", matched=norm), norm
        return None, norm

    def _fuzzy(self, queries: list[str]) -> list[tuple[str, str | None, float]]:
        """Best fuzzy hit per normalised query: (matched name, code or None, score)."""
        names = self._choices
        whole = process.cdist(
            queries,
            names,
            scorer=fuzz.ratio,
            processor=None,  # both sides normalised
            score_cutoff=FUZZY_CUTOFF,
            dtype="float32",
            workers=1,
        )
        partial = process.cdist(
            queries,
            names,
            scorer=fuzz.partial_ratio,
            processor=None,
            score_cutoff=PARTIAL_CUTOFF,
            dtype="float32",
            workers=1,
        )
        # partial_ratio only for multi-word names that fit inside the text: a short text inside
        # a long name ("social") says too little.
        query_len = np.array([len(q) for q in queries])[:, None]
        partial[(self._choice_len[None, :] > query_len) | ~self._choice_multi[None, :]] = 0
        results: list[tuple[str, str | None, float]] = []
        for q, w, p in zip(queries, whole, partial, strict=True):
            # Choices are sorted, so argmax (first best) is deterministic; whole wins ties.
            iw, ip = int(w.argmax()), int(p.argmax())
            if w[iw] > 0 and w[iw] >= p[ip]:
                results.append((names[iw], self._choice_codes[iw], float(w[iw])))
            elif p[ip] > 0:
                results.append((names[ip], self._choice_codes[ip], float(p[ip])))
            else:
                hit = self._truncated(q)
                results.append((hit, self._exact[hit], TRUNCATED_SCORE) if hit else ("", None, 0.0))
        return results

    def _truncated(self, query: str) -> str | None:
        """Return the first name whose words start with the query's words, one for one."""
        words = [w for w in query.split() if w not in _STOPWORDS]
        if len(words) < 2 or min(map(len, words)) < 3:
            return None
        for name in self._choices:
            name_words = [w for w in name.split() if w not in _STOPWORDS]
            if len(name_words) == len(words) and all(
                n.startswith(w) for w, n in zip(words, name_words, strict=True)
            ):
                return name
        return None

    def _resolution(
        self, text: str, matched: str, code: str, score: float, method: str
    ) -> Resolution:
        amb = self._ambiguous.get(matched)
        if amb is not None and amb[0] == code:
            return Resolution(text, code, score, method, True, amb[2], amb[1], matched)
        return Resolution(text, code, score, method, matched=matched)


def _metier(i: int, rec: Mapping[str, Any], seen: set[str]) -> _Metier:
    """Check and read the ``i``-th record of the referential (``seen``: the codes before it)."""
    where = f"métier #{i}"
    code = rec.get("code")
    if not isinstance(code, str) or not code:
        raise InvalidInput("a non-empty string is required", record=where, field="code")
    where = f"métier {code}"
    if code in seen:
        raise InvalidInput("duplicate code", record=where, field="code")
    seen.add(code)
    label = rec.get("label")
    if not isinstance(label, str) or not label:
        raise InvalidInput("a non-empty string is required", record=where, field="label")
    feminine = rec.get("label_feminine") or label
    diploma = rec.get("diploma") or {}
    level = int(diploma.get("level", 0)) if isinstance(diploma, Mapping) else 0
    names = [label, feminine, *rec.get("synonyms", ())]
    return _Metier(
        code=code,
        label=label,
        label_feminine=feminine,
        level=level,
        entry_level_min=int(rec.get("entry_level_min", 0)),
        rome=tuple(rec.get("rome") or ()),
        priority=bool(rec.get("priority", False)),
        names=tuple(dict.fromkeys(n for n in map(normalize, names) if n)),
        abbreviations=tuple(
            dict.fromkeys(a for a in map(normalize, rec.get("abbreviations", ())) if a)
        ),
    )


def _claim(table: dict[str, str], form: str, code: str, what: str) -> None:
    owner = table.setdefault(form, code)
    if owner != code:
        raise InvalidInput(
            f"{form!r} is claimed by both {owner!r} and {code!r}",
            record=f"métier {code}",
            field=what,
        )


def _without_prefixes(norm: str) -> list[str]:
    """Return ``norm`` and ``norm`` without a diploma prefix, both with and without spaces."""
    forms = [norm]
    for prefix in _DIPLOMA_PREFIXES:
        if norm.startswith(prefix + " "):
            forms.append(norm[len(prefix) + 1 :])
    return list(dict.fromkeys([*forms, *(f.replace(" ", "") for f in forms)]))


def _may_mean(form: str, metier: _Metier) -> bool:
    """Tell whether an ambiguous form could designate ``metier`` (a word run or an acronym)."""
    words = f" {form} "
    for name in metier.names:
        if words in f" {name} " or _acronym(name) == form.replace(" ", ""):
            return True
    return form in metier.abbreviations
