"""An in-memory index of the shipped gazetteer: what people type for a commune -> INSEE codes.

Built once per process from ``communes.csv``, ``former_communes.csv`` and ``departements.csv``
(:func:`gazetteer`); no database, no network. It knows:

- names compared without accents, case, hyphens, apostrophes or a leading article, with "st"/"ste"
  for Saint/Sainte and "s/" for "sur" (:func:`name_key`);
- postal codes, a code shared by several communes giving them all, its main commune first
  (the most populated), then the others by distance from it;
- the former names of merged communes (communes déléguées and associées of the COG);
- typos, with rapidfuzz over the names and a cutoff, never for inputs of three letters or less;
- a preference for the Ain, then its neighbours (38, 39, 69, 71, 73, 74), when a name exists in
  several départements.

:meth:`Gazetteer.lookup` says what a text designates: one commune, several to choose from, or
none; :meth:`Gazetteer.search` ranks communes for autocompletion. ``data.operations.communes``
turns both into database rows, labels and French messages.
"""

from __future__ import annotations

import bisect
import csv
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

__all__ = [
    "AIN",
    "NEIGHBOURS",
    "Entry",
    "Gazetteer",
    "Lookup",
    "departement_names",
    "gazetteer",
    "name_key",
]

REFERENCE_DIR = Path(__file__).parent
AIN = "01"
#: Départements that border the Ain, whose communes come right after the Ain's.
NEIGHBOURS = frozenset({"38", "39", "69", "71", "73", "74"})
#: Fewest letters a text needs before typos are looked for (short texts are acronyms or starts).
FUZZY_MIN_LENGTH = 4
#: rapidfuzz ``ratio`` (0-100) under which a name is not taken for a typo of the text.
FUZZY_CUTOFF = 80
#: A typo is taken for a commune without asking only from this ratio on, near the Ain, alone.
FUZZY_SURE = 88
#: Names within this many points of the best are as likely as it: the person chooses.
FUZZY_MARGIN = 5
# Typos are looked for among the names that start with the same sound: people rarely miss the
# first letter, except between letters that sound alike. Also ten times faster than all names.
_SOUNDS_ALIKE = ("cksq", "gj", "iy", "fp")
#: Most communes offered to choose from.
MAX_CHOICES = 8

_ARTICLES = frozenset({"le", "la", "les", "l"})
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "s": "sur",
    "ss": "sous",
}
_NOISE = frozenset({"cedex"})
_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)
_CODE_IN_TEXT_RE = re.compile(r"\b(\d{5}|2[AB]\d{3})\b", re.IGNORECASE)
# "Oyonnax (01100)", "Bourg (33710, Gironde)" and the former "Oyonnax (01283)".
_LABEL_RE = re.compile(
    r"^(?P<name>.+?)\s*\(\s*(?P<code>\d{5}|2[AB]\d{3})\s*(?:,[^()]*)?\)\s*$", re.IGNORECASE
)


def name_key(text: str) -> str:
    """Return the form a commune name is compared in.

    >>> name_key("L'Abergement-Clémenciat"), name_key("st genis  POUILLY")
    ('abergement clemenciat', 'saint genis pouilly')
    >>> name_key("Neuville s/ Ain"), name_key("Œuilly")
    ('neuville sur ain', 'oeuilly')
    """
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _NOISE]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(
        _ABBREVIATIONS.get(w, w) if (i > 0 or w not in ("s", "ss")) else w
        for i, w in enumerate(words)
    )


@dataclass(frozen=True)
class Entry:
    """A commune of the gazetteer, as the index knows it."""

    insee: str
    name: str
    departement: str
    postal_codes: tuple[str, ...]
    latitude: float
    longitude: float
    population: int
    key: str

    @property
    def tier(self) -> int:
        """0 for the Ain, 1 for its neighbours, 2 elsewhere."""
        if self.departement == AIN:
            return 0
        return 1 if self.departement in NEIGHBOURS else 2

    @property
    def rank(self) -> tuple[int, int, str]:
        """Sort key among homonyms: the Ain first, then its neighbours, the most populated first."""
        return (self.tier, -self.population, self.insee)


@dataclass(frozen=True)
class Lookup:
    """What a text designates: ``found`` alone, or ``choices`` (best first), or neither."""

    found: str | None = None
    choices: tuple[str, ...] = ()
    #: Why: "label", "code", "postal_code", "name", "former_name", "prefix", "typo".
    how: str = ""


@dataclass
class Gazetteer:
    """The index; build it with :func:`gazetteer` (cached) or :meth:`from_files`."""

    entries: dict[str, Entry]
    former: dict[str, list[tuple[str, str]]]  # key of a former name -> [(insee, former name)]
    departements: dict[str, str]  # code -> name
    by_key: dict[str, list[str]] = field(default_factory=dict)
    by_postal_code: dict[str, list[str]] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list)  # sorted, for prefix search
    _key_codes: list[list[str]] = field(default_factory=list)  # communes of each key, ranked
    _postal_codes: list[str] = field(default_factory=list)  # sorted
    _buckets: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    # Every (key, commune) pair, sorted by key: a prefix is a slice; with each commune's place in
    # the ranking, its tier and population as arrays, the best of a slice of thousands ("sa...")
    # is a numpy sort, not a Python one.
    _former_by_commune: dict[str, list[str]] = field(default_factory=dict)
    _flat_keys: list[str] = field(default_factory=list)
    _flat_codes: list[str] = field(default_factory=list)
    _flat_rank: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    _flat_tier: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    _flat_pop: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        for e in self.entries.values():
            self.by_key.setdefault(e.key, []).append(e.insee)
            for code in e.postal_codes:
                self.by_postal_code.setdefault(code, []).append(e.insee)
        keyed: dict[str, set[str]] = {k: set(v) for k, v in self.by_key.items()}
        for key, olds in self.former.items():
            keyed.setdefault(key, set()).update(insee for insee, _ in olds)
            for insee, name in olds:
                self._former_by_commune.setdefault(insee, []).append(name)
        for key in self.by_key:
            self.by_key[key] = self._ranked(self.by_key[key])
        self._keys = sorted(keyed)
        self._key_codes = [self._ranked(keyed[k]) for k in self._keys]
        for i, key in enumerate(self._keys):
            keys, indices = self._buckets.setdefault(_sound(key), ([], []))
            keys.append(key)
            indices.append(i)
            for code in self._key_codes[i]:
                self._flat_keys.append(key)
                self._flat_codes.append(code)
        place = {c: n for n, c in enumerate(self._ranked(self.entries))}
        flat = [self.entries[c] for c in self._flat_codes]
        self._flat_rank = np.array([place[e.insee] for e in flat], dtype=np.int64)
        self._flat_tier = np.array([e.tier for e in flat], dtype=np.int64)
        self._flat_pop = np.array([e.population for e in flat], dtype=np.int64)
        for code, communes in self.by_postal_code.items():
            self.by_postal_code[code] = self._by_distance(communes)
        self._postal_codes = sorted(self.by_postal_code)

    # --- Building ---------------------------------------------------------------------------

    @classmethod
    def from_files(cls, directory: Path = REFERENCE_DIR) -> Gazetteer:
        """Read the shipped CSV files of ``directory``."""
        entries = {}
        with (directory / "communes.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                entries[row["insee"]] = Entry(
                    insee=row["insee"],
                    name=row["name"],
                    departement=row["departement"],
                    postal_codes=tuple(row["postal_codes"].split()),
                    latitude=float(row["latitude"]),
                    longitude=float(row["longitude"]),
                    population=int(row["population"] or 0),
                    key=name_key(row["name"]),
                )
        former: dict[str, list[tuple[str, str]]] = {}
        with (directory / "former_communes.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["insee"] in entries:
                    former.setdefault(name_key(row["name"]), []).append((row["insee"], row["name"]))
        return cls(entries, former, departement_names(directory))

    def _ranked(self, codes: Iterable[str]) -> list[str]:
        return sorted(set(codes), key=lambda c: self.entries[c].rank)

    def _by_distance(self, codes: list[str]) -> list[str]:
        """Order the communes of one postal code: the most populated, then nearest to it."""
        main = min(codes, key=lambda c: (-self.entries[c].population, c))
        m = self.entries[main]
        return sorted(codes, key=lambda c: (c != main, _km(m, self.entries[c]), c))

    # --- Looking up -------------------------------------------------------------------------

    def lookup(self, text: str) -> Lookup:
        """Return the commune ``text`` designates, or the communes to choose from, or nothing."""
        text = text.strip()
        if not text:
            return Lookup()
        if m := _LABEL_RE.match(text):
            if found := self._from_label(m.group("name"), m.group("code").upper()):
                return Lookup(found, how="label")
        if _CODE_RE.match(text):
            return self._from_code(text.upper())
        if m := _CODE_IN_TEXT_RE.search(text):
            # "01100 Oyonnax", "Oyonnax 01100": the name among the communes of the code.
            rest = (text[: m.start()] + " " + text[m.end() :]).strip(" ,()-")
            by_code = self._from_code(m.group(1).upper())
            among = ([by_code.found] if by_code.found else []) + list(by_code.choices)
            by_name = self.lookup(rest) if name_key(rest) else Lookup()
            named = ([by_name.found] if by_name.found else []) + list(by_name.choices)
            both = [c for c in among if c in named] or [c for c in named if c in among]
            if len(both) == 1:
                return Lookup(both[0], how="label")
            return by_name if named and not among else by_code
        return self._from_name(name_key(text))

    def _from_label(self, name: str, code: str) -> str | None:
        key = name_key(name)
        named = self.by_key.get(key, []) + [i for i, _ in self.former.get(key, [])]
        hits = [c for c in dict.fromkeys(named) if code in self.entries[c].postal_codes]
        if not hits and code in named:  # an older label, with the INSEE code
            hits = [code]
        return hits[0] if len(hits) == 1 else None

    def _from_code(self, code: str) -> Lookup:
        communes = self.by_postal_code.get(code)
        if communes:
            if len(communes) == 1:
                return Lookup(communes[0], how="postal_code")
            return Lookup(choices=tuple(communes[:MAX_CHOICES]), how="postal_code")
        if code in self.entries:  # an INSEE code that is no postal code: unambiguous
            return Lookup(code, how="code")
        return Lookup()

    def _from_name(self, key: str) -> Lookup:
        if len(key) < 2:
            return Lookup()
        current = self.by_key.get(key, [])
        former = self._ranked(i for i, _ in self.former.get(key, []))
        exact = self._ranked(current + former)
        if exact:
            how = "name" if current else "former_name"
            if current and set(former) - set(current):
                # "Treffort" is a commune of the Isère and the former name of Val-Revermont
                # in the Ain: the person chooses.
                return Lookup(choices=tuple(exact[:MAX_CHOICES]), how=how)
            first = self.entries[exact[0]]
            if nearer := self._nearer_and_bigger(key, exact):
                choices = nearer[: MAX_CHOICES - min(len(exact), 3)] + exact
                return Lookup(choices=tuple(choices[:MAX_CHOICES]), how=how)
            in_first_tier = [c for c in exact if self.entries[c].tier == first.tier]
            if len(exact) == 1 or (first.tier < 2 and len(in_first_tier) == 1):
                return Lookup(exact[0], how=how)
            return Lookup(choices=tuple(exact[:MAX_CHOICES]), how=how)
        prefixed = self._prefixed(key, MAX_CHOICES)
        if len(prefixed) == 1:
            return Lookup(prefixed[0], how="prefix")
        if prefixed:
            # Ranked, the Ain and its neighbours first: when some are there, the far ones are
            # noise for a person of the Ain (who types on to reach them).
            near = [c for c in prefixed if self.entries[c].tier < 2]
            if len(near) == 1:
                return Lookup(near[0], how="prefix")
            return Lookup(choices=tuple(near or prefixed), how="prefix")
        typos = self._typos(key)
        if typos and typos[0][0] >= FUZZY_SURE and self.entries[typos[0][1]].tier < 2:
            if len(typos) == 1:
                return Lookup(typos[0][1], how="typo")
        return Lookup(choices=tuple(c for _, c in typos[:MAX_CHOICES]), how="typo")

    def _nearer_and_bigger(self, key: str, exact: list[str]) -> list[str]:
        """Communes whose name starts with ``key``, nearer the Ain and bigger than ``exact``.

        They are likelier meant than far homonyms: "Bourg" is Bourg-en-Bresse in the Ain,
        not Bourg in Gironde. Ranked, at most :data:`MAX_CHOICES`.
        """
        tier = min(self.entries[c].tier for c in exact)
        biggest = max(self.entries[c].population for c in exact)
        lo, hi = self._prefix_slice(key)
        keep = (self._flat_tier[lo:hi] < tier) & (self._flat_pop[lo:hi] > biggest)
        found = self._best(lo, hi, MAX_CHOICES + len(exact), keep)
        return [c for c in found if c not in exact][:MAX_CHOICES]

    def _prefix_slice(self, key: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self._flat_keys, key)
        return lo, bisect.bisect_left(self._flat_keys, key + "\U0010ffff", lo)

    def _prefixed(self, key: str, limit: int) -> list[str]:
        """The best ``limit`` communes (current or former name) whose name starts with ``key``."""
        lo, hi = self._prefix_slice(key)
        return self._best(lo, hi, limit)

    def _best(
        self, lo: int, hi: int, limit: int, keep: npt.NDArray[np.bool_] | None = None
    ) -> list[str]:
        """The best ``limit`` distinct communes of the slice ``lo:hi`` (where ``keep``), ranked."""
        if hi <= lo:
            return []
        ranks = self._flat_rank[lo:hi]
        idx = np.nonzero(keep)[0] if keep is not None else np.arange(hi - lo)
        # A commune appears once per name (its own, its former ones): take enough to dedupe.
        take = min(len(idx), 4 * limit)
        best = idx[np.argpartition(ranks[idx], take - 1)[:take]] if take < len(idx) else idx
        best = best[np.argsort(ranks[best], kind="stable")]
        out = list(dict.fromkeys(self._flat_codes[lo + int(i)] for i in best))
        return out[:limit]

    def _typos(self, key: str) -> list[tuple[float, str]]:
        """(score, commune) whose name is a likely typo of ``key``, best first.

        Only the names within :data:`FUZZY_MARGIN` of the best one; none for short keys.
        """
        if len(key.replace(" ", "")) < FUZZY_MIN_LENGTH:
            return []
        keys, indices = self._buckets.get(_sound(key), ([], []))
        # The keys are already normalised by name_key: no processor.
        hits = process.extract(
            key,
            keys,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=FUZZY_CUTOFF,
            limit=3 * MAX_CHOICES,
        )
        if not hits:
            return []
        top = hits[0][1]
        close = [(score, indices[j]) for _, score, j in hits if score >= top - FUZZY_MARGIN]
        ranked = sorted(
            (-score, self.entries[c].rank, c) for score, i in close for c in self._key_codes[i]
        )
        seen: dict[str, float] = {}
        for score, _, c in ranked:
            seen.setdefault(c, -score)
        return [(score, c) for c, score in seen.items()]

    # --- Autocompletion ---------------------------------------------------------------------

    def search(self, text: str, limit: int = 10) -> list[str]:
        """Return up to ``limit`` communes for what is typed so far, the likeliest first.

        Digits: the communes of the postal codes that start so (or of the INSEE code). Letters:
        the exact name, then the names (current or former) that start so, the Ain's and its
        neighbours' first, then the most populated; typos when fewer are found.
        """
        text = text.strip()
        if len(text) < 2:
            return []
        if m := _LABEL_RE.match(text):
            if found := self._from_label(m.group("name"), m.group("code").upper()):
                return [found]
            text = m.group("name")
        compact = text.replace(" ", "")
        if compact.isdigit() or _CODE_RE.match(compact):
            return self._search_code(compact.upper(), limit)
        key = name_key(text)
        if len(key) < 2:
            return []
        exact = self._ranked(self.by_key.get(key, []) + [i for i, _ in self.former.get(key, [])])
        nearer = self._nearer_and_bigger(key, exact) if exact else []
        prefixed = self._prefixed(key, limit + len(exact) + len(nearer))
        out = list(dict.fromkeys(nearer + exact + prefixed))[:limit]
        if len(out) < limit:
            out = list(dict.fromkeys(out + [c for _, c in self._typos(key)]))[:limit]
        return out

    def _search_code(self, code: str, limit: int) -> list[str]:
        out: list[str] = []
        start = bisect.bisect_left(self._postal_codes, code)
        for pc in self._postal_codes[start:]:
            if not pc.startswith(code) or len(out) >= limit:
                break
            out.extend(self.by_postal_code[pc])
        if code in self.entries and code not in self.by_postal_code:
            out.insert(0, code)
        return list(dict.fromkeys(out))[:limit]

    # --- Labels -----------------------------------------------------------------------------

    def former_name_meant(self, insee: str, text: str) -> str | None:
        """Return the former name of ``insee`` that ``text`` starts, unless its name does too.

        >>> gazetteer().former_name_meant("01033", "bellegarde")
        'Bellegarde-sur-Valserine'
        """
        key = name_key(text)
        entry = self.entries.get(insee)
        if not key or entry is None or entry.key.startswith(key):
            return None
        names = self._former_by_commune.get(insee, [])
        return next((name for name in names if name_key(name).startswith(key)), None)

    def departement_name(self, code: str) -> str:
        """Return the name of a département (its code if unknown)."""
        return self.departements.get(code, code)


def _sound(key: str) -> str:
    """Return the group of the first letter of ``key`` (letters that sound alike together)."""
    first = key[:1]
    return next((group for group in _SOUNDS_ALIKE if first in group), first)


def _km(a: Entry, b: Entry) -> float:
    """Great-circle distance in km (haversine; ordering only)."""
    la1, la2 = math.radians(a.latitude), math.radians(b.latitude)
    dla, dlo = la2 - la1, math.radians(b.longitude - a.longitude)
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@cache
def departement_names(directory: Path = REFERENCE_DIR) -> dict[str, str]:
    """Return the name of each département by its code (« 33 » -> « Gironde »)."""
    with (directory / "departements.csv").open(encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


_BUILD_LOCK = threading.Lock()


@cache
def _built() -> Gazetteer:
    return Gazetteer.from_files()


def gazetteer() -> Gazetteer:
    """Return the index of the shipped gazetteer, built on first use (about a second).

    One build per process: a request arriving while ``web`` warms it up waits for that build.
    """
    with _BUILD_LOCK:
        return _built()
