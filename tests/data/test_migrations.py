"""Migrations build the schema the models describe, and undo it, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from data import migrate
from data.db import make_engine
from data.models import Base, is_search_table
from tests.conftest import PG_ENV, _backends


@pytest.fixture(params=_backends())
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database of its own, apart from the shared test database."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/migrations.db")
        yield eng
        eng.dispose()
        return
    url = os.environ[PG_ENV]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migrations_test CASCADE"))
        conn.execute(text("CREATE SCHEMA migrations_test"))
    eng = make_engine(url, connect_args={"options": "-csearch_path=migrations_test"})
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migrations_test CASCADE"))
    admin.dispose()


def _user_tables(engine: Engine) -> set[str]:
    """The tables of the models (not Alembic's, nor SQLite's search index of the mallette)."""
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    return {n for n in names if not is_search_table(n)}


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and is_search_table(name))


def test_upgrade_to_head_matches_models_then_downgrade_empties(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert _user_tables(empty_engine) == set(Base.metadata.tables)

    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _modelled}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []

    migrate.downgrade(empty_engine)
    assert _user_tables(empty_engine) == set()

    # And back up again: a downgrade leaves nothing that blocks the next upgrade.
    migrate.upgrade(empty_engine)
    assert _user_tables(empty_engine) == set(Base.metadata.tables)


def test_0004_adds_the_interrupted_status_and_hides_the_errors_recorded_before(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0003_mail_jobs")
    insert = text(
        "INSERT INTO job_runs (job, started_at, status, counts, error, trigger)"
        " VALUES (:job, CURRENT_TIMESTAMP, :status, '{}', :error, 'scheduler')"
    )
    with empty_engine.begin() as conn:
        conn.execute(insert, {"job": "rematch", "status": "failed", "error": "INSERT INTO x"})
        conn.execute(insert, {"job": "sender", "status": "failed", "error": "Interrompu : ..."})
        conn.execute(insert, {"job": "contacts", "status": "success", "error": None})
    migrate.upgrade(empty_engine)
    rows = "SELECT job, status, error FROM job_runs ORDER BY id"
    with empty_engine.begin() as conn:
        assert conn.execute(text(rows)).all() == [
            ("rematch", "failed", "Erreur inattendue."),
            ("sender", "interrupted", "Le processus s'est arrêté avant la fin."),
            ("contacts", "success", None),
        ]
        conn.execute(insert, {"job": "digests_daily", "status": "interrupted", "error": None})
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(insert, {"job": "x", "status": "bogus", "error": None})

    migrate.downgrade(empty_engine, "0003_mail_jobs")
    with empty_engine.begin() as conn:
        statuses = [r.status for r in conn.execute(text(rows))]
        assert statuses == ["failed", "failed", "success", "failed"]
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(insert, {"job": "x", "status": "interrupted", "error": None})


def test_0007_revokes_the_staff_tokens_that_name_no_account(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0006_structure_join_requests")
    insert = text(
        "INSERT INTO api_tokens (token_hash, role, label, created_at)"
        " VALUES (:hash, :role, '', CURRENT_TIMESTAMP)"
    )
    with empty_engine.begin() as conn:
        conn.execute(insert, {"hash": "a" * 64, "role": "coordinator"})
        conn.execute(insert, {"hash": "b" * 64, "role": "admin"})
    migrate.upgrade(empty_engine)
    rows = "SELECT role, revoked_at IS NOT NULL AS revoked FROM api_tokens ORDER BY id"
    with empty_engine.begin() as conn:
        assert [tuple(r) for r in conn.execute(text(rows))] == [
            ("coordinator", True),
            ("admin", True),
        ]
    # From now on a live staff token without an account is refused by the database itself.
    with pytest.raises(IntegrityError, match="staff_account"), empty_engine.begin() as conn:
        conn.execute(insert, {"hash": "c" * 64, "role": "admin"})
    migrate.downgrade(empty_engine, "0006_structure_join_requests")
    with empty_engine.begin() as conn:
        conn.execute(insert, {"hash": "c" * 64, "role": "admin"})


def test_0008_makes_the_stored_one_line_fields_one_line(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0007_api_token_account")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO employers (name, siret, kind, contact_name, contact_email,"
                " created_at, updated_at) VALUES (:name, '73282932000074', 'ehpad', :contact,"
                " 'a@b.fr', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"name": "EHPAD Brou\r\nBcc: x@y.fr", "contact": "Anne  Roux"},
        )
        conn.execute(
            text(
                "INSERT INTO candidates (first_name, last_name, consent_at, notify_frequency,"
                " created_at, last_activity_at) VALUES ('Léa\t', :last, CURRENT_TIMESTAMP,"
                " 'daily', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"last": "Martin\n\nDupont"},
        )
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        employer = conn.execute(text("SELECT name, contact_name FROM employers")).one()
        candidate = conn.execute(text("SELECT first_name, last_name FROM candidates")).one()
    assert tuple(employer) == ("EHPAD Brou Bcc: x@y.fr", "Anne  Roux")  # no control: untouched
    assert tuple(candidate) == ("Léa", "Martin Dupont")


def test_0018_makes_every_bed_of_a_site_a_resource_of_its_structure(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0017_notified_sessions")
    statements = (
        "INSERT INTO communes (insee, name, departement, latitude, longitude, postal_codes)"
        " VALUES ('01053', 'Bourg-en-Bresse', '01', 46.2, 5.22, '01000')",
        "INSERT INTO employers (id, name, siret, kind, contact_name, contact_email,"
        " check_status, created_at, updated_at) VALUES (7, 'EHPAD Brou', '73282932000074', 'ehpad',"
        " 'Anne', 'a@b.fr', 'checked', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO sites (id, employer_id, name, commune_insee, address, created_at)"
        " VALUES (3, 7, 'Site de Brou', '01053', '1 rue A', CURRENT_TIMESTAMP)",
        "INSERT INTO housings (site_id, kind, beds, monthly_cost_eur, notes)"
        " VALUES (3, 'studio_on_site', 2, 250, 'Studio meublé'), (3, 'fjt', 1, NULL, NULL)",
    )
    with empty_engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    migrate.upgrade(empty_engine)
    rows = (
        "SELECT name, kind, employer_id, site_id, commune_insee, address, beds, beds_taken,"
        " monthly_cost_eur, notes, published FROM housing_resources ORDER BY id"
    )
    with empty_engine.begin() as conn:
        assert [tuple(r) for r in conn.execute(text(rows))] == [
            (
                "Site de Brou",
                "esms_room",
                7,
                3,
                "01053",
                "1 rue A",
                2,
                0,
                250,
                "Studio meublé",
                False,
            ),
            ("Site de Brou", "fjt", 7, 3, "01053", "1 rue A", 1, 0, None, None, False),
        ]
    # A resource has exactly one manager: a structure, a centre or a partner.
    orphan = (
        "INSERT INTO housing_resources (name, kind, commune_insee, beds, beds_taken, aids,"
        " apprentices_only, published, created_at, updated_at) VALUES ('X', 'fjt', '01053',"
        " 1, 0, '[]', false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError, match="one_manager"), empty_engine.begin() as conn:
        conn.execute(text(orphan))

    migrate.downgrade(empty_engine, "0017_notified_sessions")
    back = "SELECT site_id, kind, beds, monthly_cost_eur, notes FROM housings ORDER BY id"
    with empty_engine.begin() as conn:
        assert [tuple(r) for r in conn.execute(text(back))] == [
            (3, "studio_on_site", 2, 250, "Studio meublé"),
            (3, "fjt", 1, None, None),
        ]


def test_0025_adds_masters_whose_removal_leaves_their_offers_without(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0029_discovery")
    with empty_engine.begin() as conn:
        for statement in (
            "INSERT INTO communes (insee, name, departement, latitude, longitude, postal_codes)"
            " VALUES ('01053', 'Bourg-en-Bresse', '01', 46.2, 5.22, '01000')",
            "INSERT INTO metiers (code, label, label_feminine, rome, rome_v3, diploma_code,"
            " diploma_label, level, entry_level_min, rncp, synonyms, abbreviations, ambiguous,"
            " related, priority) VALUES ('aide-soignant', 'Aide-soignant', 'Aide-soignante',"
            " '[]', '[]', 'DEAS', 'DEAS', 4, 0, '[]', '[]', '[]', '[]', '[]', false)",
            "INSERT INTO employers (id, name, siret, kind, contact_name, contact_email,"
            " check_status, created_at, updated_at) VALUES (7, 'EHPAD Brou', '73282932000074',"
            " 'ehpad', 'Anne', 'a@b.fr', 'checked', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO sites (id, employer_id, name, commune_insee, address, created_at)"
            " VALUES (3, 7, 'Site de Brou', '01053', '1 rue A', CURRENT_TIMESTAMP)",
            "INSERT INTO offers (id, site_id, metier_code, diploma, contract, places,"
            " places_filled, housing_beds, licence_required, night_work, weekend_work,"
            " description, status, created_at, updated_at) VALUES (5, 3, 'aide-soignant', 'DEAS',"
            " 'apprentissage', 1, 0, 0, false, false, false, '', 'draft', CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)",
        ):
            conn.execute(text(statement))
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        assert conn.execute(text("SELECT master_id FROM offers")).scalar_one() is None
        conn.execute(
            text(
                "INSERT INTO apprenticeship_masters (id, employer_id, name, role, diploma,"
                " experience_years, supervised_elsewhere, created_at, updated_at) VALUES"
                " (9, 7, 'Sophie Bernard', 'Aide-soignante', 'DEAS', 12, 0, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(text("UPDATE offers SET master_id = 9"))
    with pytest.raises(IntegrityError, match="supervised_non_negative"), empty_engine.begin() as c:
        c.execute(text("UPDATE apprenticeship_masters SET supervised_elsewhere = -1"))
    with empty_engine.begin() as conn:
        conn.execute(text("DELETE FROM apprenticeship_masters"))
        assert conn.execute(text("SELECT master_id FROM offers")).scalar_one() is None

    migrate.downgrade(empty_engine, "0029_discovery")
    assert "apprenticeship_masters" not in _user_tables(empty_engine)
    assert "master_id" not in {c["name"] for c in inspect(empty_engine).get_columns("offers")}
    with empty_engine.begin() as conn:
        assert conn.execute(text("SELECT id FROM offers")).scalar_one() == 5


def test_0031_adds_the_check_in_calls_and_removes_them(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0031_checkins")
    assert "checkin_calls" in _user_tables(empty_engine)
    columns = {c["name"]: c for c in inspect(empty_engine).get_columns("checkin_calls")}
    assert set(columns) == {"id", "suggestion_id", "called_at", "called_by_id", "note"}
    assert columns["called_by_id"]["nullable"] and not columns["note"]["nullable"]
    keys = {
        fk["referred_table"]: fk["options"].get("ondelete")
        for fk in inspect(empty_engine).get_foreign_keys("checkin_calls")
    }
    assert keys == {"suggestions": "CASCADE", "users": "SET NULL"}
    migrate.downgrade(empty_engine, "0030_apprenticeship_masters")
    tables = _user_tables(empty_engine)
    assert "checkin_calls" not in tables and "questionnaires" in tables
    migrate.upgrade(empty_engine, "0031_checkins")
    assert "checkin_calls" in _user_tables(empty_engine)


def test_0032_adds_the_kit_and_the_paid_leave_rule_and_undoes_both(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0031_checkins")
    insert = (
        "INSERT INTO legal_rules (key, value, valid_from, source, created_at) VALUES"
        " ('paid_leave_days_per_month', 2.5, '2016-08-10', 'L3141-3', CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError, match="rule_key"), empty_engine.begin() as conn:
        conn.execute(text(insert))
    migrate.upgrade(empty_engine, "0032_welcome_kit")
    with empty_engine.begin() as conn:
        conn.execute(text(insert))
    with pytest.raises(IntegrityError, match="rule_key"), empty_engine.begin() as conn:
        conn.execute(text(insert.replace("paid_leave_days_per_month", "made_up")))
    assert {"kit_templates", "welcome_kits", "welcome_kit_items"} <= _user_tables(empty_engine)

    migrate.downgrade(empty_engine, "0031_checkins")
    assert "welcome_kits" not in _user_tables(empty_engine)
    with empty_engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM legal_rules")).scalar_one() == 0


def test_0034_adds_the_plan_tracker_and_removes_it(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0034_plan")
    tables = {"plan_axes", "plan_actions", "plan_budget_lines", "plan_indicators"}
    assert tables | {"plan_indicator_values"} <= _user_tables(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plan_axes (id, number, title, summary, announced_actions)"
                " VALUES (1, 1, 'Promouvoir les métiers', '', 22)"
            )
        )
    with pytest.raises(IntegrityError, match="number_range"), empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plan_axes (number, title, summary, announced_actions)"
                " VALUES (5, 'Cinquième', '', 1)"
            )
        )
    insert_action = text(
        "INSERT INTO plan_actions (id, axis_id, title, description, lead, partners, status,"
        " source, created_at, updated_at)"
        " VALUES (:id, 1, 'Action', '', '', '', :status, '', CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP)"
    )
    with empty_engine.begin() as conn:
        conn.execute(insert_action, {"id": 1, "status": "planned"})
    with pytest.raises(IntegrityError, match="status"), empty_engine.begin() as conn:
        conn.execute(insert_action, {"id": 2, "status": "made_up"})
    with pytest.raises(IntegrityError, match="linked_or_named"), empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plan_indicators (action_id, unit, created_at)"
                " VALUES (1, '', CURRENT_TIMESTAMP)"
            )
        )
    migrate.downgrade(empty_engine, "0033_observatory")
    assert not tables & _user_tables(empty_engine)
    assert "observatory_snapshots" in _user_tables(empty_engine)


def test_0035_adds_the_lists_and_drops_the_watermark_so_the_next_run_is_full(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0034_plan")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO platform_settings (key, value, updated_at) VALUES"
                " ('rematch.watermark', '\"2026-12-01T00:00:00+00:00\"', '2026-12-01 00:00:00'),"
                " ('review_rule', '{}', '2026-12-01 00:00:00')"
            )
        )
    migrate.upgrade(empty_engine, "0035_pair_lists")
    with empty_engine.begin() as conn:
        keys = conn.execute(text("SELECT key FROM platform_settings")).scalars().all()
    assert keys == ["review_rule"]
    columns = {c["name"] for c in inspect(empty_engine).get_columns("suggestions")}
    assert {"in_request_list", "in_offer_list"} <= columns
    assert "rematched_at" in {c["name"] for c in inspect(empty_engine).get_columns("offers")}
    migrate.downgrade(empty_engine, "0034_plan")
    columns = {c["name"] for c in inspect(empty_engine).get_columns("suggestions")}
    assert "in_request_list" not in columns
    assert "rematched_at" not in {c["name"] for c in inspect(empty_engine).get_columns("requests")}
