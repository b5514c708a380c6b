"""Read the mallette: the French full-text search, the news, the coordinators' list.

:func:`search_library` hides the engine's difference. PostgreSQL matches the unaccented words
with ``plainto_tsquery('french', ...)`` against the resource's ``search_vector`` (French
stemming: « formations » finds « formation ») and ranks by ``ts_rank`` with the title's weight
(A) far above the summary's (B) and the body's (C). SQLite has no French stemmer: each word,
lowered by FTS5's ``unicode61 remove_diacritics 2`` tokenizer, loses a plural ``s`` or ``x``
and becomes a prefix query (« formations » finds « formation »), ranked by ``bm25`` with the
title's weight far above the others. Readers see published resources only; anyone but the
coordinators sees only those written for a public audience.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, select, text
from sqlalchemy.orm import Session, selectinload

from data.models import (
    PUBLIC_AUDIENCES,
    SQLITE_FTS_TABLE,
    LibraryAudience,
    LibraryCategory,
    LibraryResource,
    LibraryResourceAudience,
    LibraryResourceMetier,
    Role,
)
from data.models.mail import NotifiedLibraryResource

__all__ = [
    "DIGEST_AUDIENCES",
    "LibraryHit",
    "library_digest_news",
    "has_library_digest_news",
    "fts5_query",
    "library_news",
    "library_resources",
    "readable_resource",
    "search_library",
]

#: ``ts_rank`` weights of {D, C, B, A}: a word of the title outweighs many of the body.
PG_WEIGHTS = "{0.01, 0.05, 0.2, 1.0}"
#: ``bm25`` weights of the FTS5 columns (title, summary, body).
SQLITE_WEIGHTS = (10.0, 3.0, 1.0)
#: The most words of a search that count (beyond, a pasted text).
MAX_WORDS = 12
DEFAULT_LIMIT = 100

_WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class LibraryHit:
    """A resource found, with its rank (higher is better; 0 when no words were searched)."""

    resource: LibraryResource
    rank: float


#: French words too common to search for, as PostgreSQL's ``french`` configuration drops them
#: (its Snowball stop list, the usual part): on SQLite a search « salaires des apprentis » would
#: otherwise need « des » in the text.
STOP_WORDS = frozenset(
    "a à au aux avec ce ces d dans de des du elle en et eux il ils je j l la le les leur leurs"
    " lui m ma mais me même mes moi mon n ne nos notre nous on ou par pas pour qu que qui s sa"
    " se ses son sur t ta te tes toi ton tu un une vos votre vous y".split()
)


def fts5_query(words: str) -> str | None:
    """Return the FTS5 query of a search text: each word a quoted prefix, plurals dropped, and
    the stop words left out (unless the text has nothing else).

    >>> fts5_query("Formations « en alternance »"), fts5_query(" ; "), fts5_query("Les")
    ('"formation"* "alternance"*', None, '"les"*')
    """
    found = _WORD_RE.findall(words.lower())[:MAX_WORDS]
    kept = [w for w in found if w not in STOP_WORDS] or found
    terms = []
    for word in kept:
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        terms.append('"' + word.replace('"', "") + '"*')
    return " ".join(terms) or None


def _visible(statement: Select[LibraryResource], *, staff: bool) -> Select[LibraryResource]:
    """Keep the published resources the reader may see (staff: all; else a public audience)."""
    statement = statement.where(LibraryResource.published.is_(True))
    if not staff:
        statement = statement.where(
            exists().where(
                LibraryResourceAudience.resource_id == LibraryResource.id,
                LibraryResourceAudience.audience.in_(PUBLIC_AUDIENCES),
            )
        )
    return statement


def _filtered(
    statement: Select[LibraryResource],
    *,
    audience: LibraryAudience | None,
    category: LibraryCategory | None,
    metier: str | None,
) -> Select[LibraryResource]:
    if audience is not None:
        statement = statement.where(
            exists().where(
                LibraryResourceAudience.resource_id == LibraryResource.id,
                LibraryResourceAudience.audience == audience,
            )
        )
    if category is not None:
        statement = statement.where(LibraryResource.category == category)
    if metier:
        statement = statement.where(
            exists().where(
                LibraryResourceMetier.resource_id == LibraryResource.id,
                LibraryResourceMetier.metier_code == metier,
            )
        )
    return statement


def search_library(
    session: Session,
    words: str | None,
    audience: LibraryAudience | None = None,
    *,
    category: LibraryCategory | None = None,
    metier: str | None = None,
    staff: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> list[LibraryHit]:
    """Return the resources a reader may see that match ``words``, best first.

    ``audience``, ``category``, ``metier``: filters (a resource for that audience, of that
    category, about that métier). ``staff``: the reader is a coordinator (resources for the team
    alone too). Without words, every resource the filters keep, the most recently updated first.
    """
    statement = _filtered(
        _visible(select(LibraryResource), staff=staff),
        audience=audience,
        category=category,
        metier=metier,
    ).options(selectinload(LibraryResource.audience_rows))
    query = fts5_query(words or "")
    if query is None:
        ordered = statement.order_by(
            LibraryResource.up_to_date_on.desc(), LibraryResource.id.desc()
        )
        return [LibraryHit(r, 0.0) for r in session.scalars(ordered.limit(limit))]
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.plainto_tsquery(
            literal_column("'french'::regconfig"), func.unaccent(words or "")
        )
        rank = func.ts_rank(
            literal_column(f"'{PG_WEIGHTS}'::float4[]"), LibraryResource.search_vector, tsquery
        )
        ranked = (
            statement.add_columns(rank.label("rank"))
            .where(LibraryResource.search_vector.op("@@")(tsquery))
            .order_by(rank.desc(), LibraryResource.id)
        )
        return [LibraryHit(r, float(score)) for r, score in session.execute(ranked.limit(limit))]
    weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
    matches = text(
        f"SELECT rowid AS id, bm25({SQLITE_FTS_TABLE}, {weights}) AS score"
        f" FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :query"
    ).columns(id=LibraryResource.id.type, score=LibraryResource.id.type)
    found = matches.bindparams(query=query).subquery("found")
    ranked = (
        statement.add_columns(found.c.score)
        .join(found, found.c.id == LibraryResource.id)
        .order_by(found.c.score, LibraryResource.id)
    )
    # bm25 is lower for a better match: its opposite is the rank.
    return [LibraryHit(r, -float(score)) for r, score in session.execute(ranked.limit(limit))]


def library_news(
    session: Session, since: datetime, *, staff: bool = False, limit: int = 10
) -> list[LibraryResource]:
    """Return the resources a reader may see published or changed since ``since``, newest first."""
    statement = _visible(select(LibraryResource), staff=staff).where(
        LibraryResource.updated_at > since
    )
    return list(
        session.scalars(
            statement.order_by(LibraryResource.updated_at.desc(), LibraryResource.id.desc()).limit(
                limit
            )
        )
    )


#: Whose digests tell which resources: a candidate's, those written for candidates; an
#: employer's staff's, those for employers and for tutors (a structure's tutors are its staff).
DIGEST_AUDIENCES = {
    Role.CANDIDATE: (LibraryAudience.CANDIDATES,),
    Role.EMPLOYER: (LibraryAudience.EMPLOYERS, LibraryAudience.TUTORS),
}


def _digest_news(
    audiences: Sequence[LibraryAudience], since: Any, recipient: Any
) -> ColumnElement[bool]:
    """The news of a digest: published for one of ``audiences``, published or updated after
    ``since`` (when the person asked for news), and not told to ``recipient`` in this version.
    ``since`` and ``recipient`` may be values or columns (a correlated condition)."""
    return and_(
        LibraryResource.published.is_(True),
        LibraryResource.updated_at > since,
        exists().where(
            LibraryResourceAudience.resource_id == LibraryResource.id,
            LibraryResourceAudience.audience.in_(audiences),
        ),
        ~exists().where(
            NotifiedLibraryResource.resource_id == LibraryResource.id,
            NotifiedLibraryResource.recipient == recipient,
            NotifiedLibraryResource.stamp >= LibraryResource.updated_at,
        ),
    )


def library_digest_news(
    session: Session, role: Role, since: datetime, recipient: str
) -> list[LibraryResource]:
    """Return the mallette's news for a digest of ``recipient`` (a person of ``role`` who asked
    for news ``since``): the newest first; none for a role without digests of the mallette."""
    audiences = DIGEST_AUDIENCES.get(role)
    if not audiences:
        return []
    statement = select(LibraryResource).where(_digest_news(audiences, since, recipient))
    return list(
        session.scalars(
            statement.order_by(LibraryResource.updated_at.desc(), LibraryResource.id.desc())
        )
    )


def has_library_digest_news(role: Role, since: Any, recipient: Any) -> ColumnElement[bool]:
    """The condition that a person of ``role`` has news for their digest (columns of the
    person's query: when they asked for news, their address), to select who gets a digest."""
    return exists(
        select(LibraryResource.id).where(_digest_news(DIGEST_AUDIENCES[role], since, recipient))
    )


def readable_resource(session: Session, resource_id: int, *, staff: bool) -> LibraryResource | None:
    """Return the resource if the reader may see it (staff: any, published or not)."""
    resource = session.get(LibraryResource, resource_id)
    if resource is None or staff:
        return resource
    if not resource.published or not resource.is_public:
        return None
    return resource


def library_resources(session: Session) -> list[LibraryResource]:
    """Return every resource, for the coordinators' list: the most recently changed first."""
    return list(
        session.scalars(
            select(LibraryResource)
            .options(selectinload(LibraryResource.audience_rows))
            .order_by(LibraryResource.updated_at.desc(), LibraryResource.id.desc())
        )
    )
