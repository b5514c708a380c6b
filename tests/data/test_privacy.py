"""The registry of personal data against the models, and the parts of the erasure on their own."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import SYSTEM, Actor
from data.auth import ADDRESS_RATE_KINDS, address_rate_key, hash_secret
from data.models import Base, Role
from data.operations import audit
from data.privacy import HOLDINGS, Kind, Person, export_candidate_data
from data.privacy.mailfiles import erase_mail_files
from data.privacy.registry import COLUMNS, columns_of_kind, undeclared_columns
from tests.data.factories import make_request, make_suggestion, make_user
from web.formatting import label


def test_every_column_that_can_hold_text_or_a_date_is_declared() -> None:
    assert undeclared_columns(Base.metadata) == []


def test_no_declaration_names_a_column_that_is_gone() -> None:
    tables = Base.metadata.tables
    stale = [
        f"{table}.{column}"
        for table, by_column in COLUMNS.items()
        for column in by_column
        if table not in tables or column not in tables[table].c
    ]
    assert stale == []


def test_a_new_table_or_column_is_caught() -> None:
    metadata = MetaData()
    Table(
        "candidates", metadata, Column("id", Integer, primary_key=True), Column("nickname", String)
    )
    Table(
        "diaries",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("entry", Text),
        Column("birth_date", Date),
        Column("pages", Integer),
    )
    assert undeclared_columns(metadata) == [
        "candidates.nickname",
        "diaries.entry",
        "diaries.birth_date",
    ]


def test_every_table_holding_a_candidates_data_is_visited_and_exported() -> None:
    holding = {h.table for h in HOLDINGS}
    personal = {table for table, _ in columns_of_kind(Kind.PERSON, Kind.ABOUT)}
    assert personal <= holding, personal - holding
    assert holding <= set(Base.metadata.tables)
    # Each place is named in French for the person, with what the erasure does there.
    assert all(h.label[0].isupper() and h.erasure for h in HOLDINGS)


def test_identifiers_cover_the_ways_a_person_is_written() -> None:
    person = Person(
        candidate_id=1,
        request_id=None,
        pair_ids=(),
        user_ids=(),
        addresses=("anne.o'neil@example.org",),
        phone="06 12 34 56 78",
        names=("Anne O'Neil", "O'Neil Anne"),
    )
    found = person.identifiers()
    assert "anne o'neil" in found and "anne o&#x27;neil" in found  # as HTML writes it
    assert "06 12 34 56 78" in found and "0612345678" in found
    assert "o'neil anne" in found
    assert len(person.rate_key_hashes) == len(ADDRESS_RATE_KINDS)
    assert hash_secret(address_rate_key("link", "Anne.O'Neil@Example.org")) in (
        person.rate_key_hashes
    )


def _write(folder: Path, name: str, to: str, body: str, html: str | None = None) -> Path:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Mise en relation"
    message.set_content(body, cte="base64")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    path = folder / name
    path.write_bytes(message.as_bytes())
    return path


def test_mail_files_to_or_about_the_person_are_deleted_whatever_their_encoding(
    tmp_path: Path,
) -> None:
    to_them = _write(tmp_path, "a.eml", "anne@example.org", "Bonjour")
    about_them = _write(
        tmp_path,
        "b.eml",
        "rh@ehpad.example",
        "Coordonnées :",
        html="<p>Anne O&#x27;Neil, 06&nbsp;12 34 56 78 — ça commence</p>",
    )
    base64_body = _write(tmp_path, "c.eml", "rh@ehpad.example", "Appelez le 0612345678, é")
    phone_only = _write(
        tmp_path, "e.eml", "rh@ehpad.example", "-", html="<p>Tél. 06&nbsp;12&#8239;34 56 78</p>"
    )
    other = _write(tmp_path, "d.eml", "paul@example.org", "Bonjour Paul")
    person = Person(1, None, (), (), ("anne@example.org",), "06 12 34 56 78", ("Anne O'Neil",))

    assert erase_mail_files(tmp_path, person.identifiers()) == 4
    assert [p.exists() for p in (to_them, about_them, base64_body, phone_only, other)] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert erase_mail_files(tmp_path / "absent", person.identifiers()) == 0


def test_the_export_says_who_wrote_each_line_in_french(session: Session) -> None:
    coordinator = make_user(session)
    request = make_request(session)
    pair = make_suggestion(session, request=request)
    ops.approve_suggestion(session, pair, Actor.user(coordinator))
    # A line stamped by an API token before tokens recorded their role, one by the system, and a
    # view through the API by a coordinator's token.
    audit.record(
        session, SYSTEM, "status_change", "suggestion", pair.id, {"via": "api", "api_token_id": 7}
    )
    audit.record(session, SYSTEM, "status_change", "suggestion", pair.id, {})
    ops.log_access(
        session, Actor.token(7, Role.COORDINATOR), "candidate", request.candidate_id, ["phone"]
    )

    data = export_candidate_data(session, request.candidate, label=label)
    [exported] = data["mises_en_relation"]
    assert [line["par"] for line in exported["historique"]] == [
        "Coordination, sur le site",
        "Un outil connecté, par l'API (jeton n° 7)",
        "Passerelle (traitement automatique)",
    ]
    assert exported["historique"][0]["vers"] == "Mise en relation faite"
    assert data["consultations"][0]["par"] == "Coordination, par l'API (jeton n° 7)"
    assert data["consultations"][0]["champs"] == ["Téléphone"]
