"""Métier sheets (issue 18): the seed texts, versions and restore, who may edit, the renderer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import NotFound, PermissionDenied, ValidationError
from data.models import AuditEntry, Metier, MetierSheet, MetierSheetVersion, Role
from data.operations import metier_sheets as ops
from data.presentation import render_markdown
from data.presentation.markdown import ALLOWED_TAGS
from data.reference import load_metier_sheets, read_metier_sheets
from tests.data import factories as f

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
HEADINGS = (
    "## Le métier et les personnes accompagnées",
    "## Le diplôme",
)


def _sheet(session: Session, code: str) -> MetierSheet:
    return session.scalars(select(MetierSheet).where(MetierSheet.metier_code == code)).one()


def _versions(session: Session, sheet: MetierSheet) -> list[MetierSheetVersion]:
    stmt = select(MetierSheetVersion).where(MetierSheetVersion.sheet_id == sheet.id)
    return list(session.scalars(stmt.order_by(MetierSheetVersion.id)))


def test_the_eight_priority_metiers_have_a_seeded_sheet_with_sources(session: Session) -> None:
    priority = set(session.scalars(select(Metier.code).where(Metier.priority.is_(True))))
    seeds = read_metier_sheets()
    assert len(priority) == 8
    assert priority <= set(seeds)
    for code in priority:
        body, sources = seeds[code]
        assert all(h in body for h in HEADINGS), code
        assert "consulté" in sources or "RNCP" in sources, code
        sheet = _sheet(session, code)
        assert sheet.body == body and sheet.sources == sources
        (first,) = _versions(session, sheet)
        assert first.author_id is None and first.body == body


def test_loading_the_seeds_never_overwrites_an_edited_sheet(session: Session) -> None:
    staff = f.make_user(session, Role.COORDINATOR)
    ops.save_sheet(session, Actor.user(staff), "aide-soignant", "## Notre texte\n\nÀ nous.")
    assert load_metier_sheets(session) == 0
    assert _sheet(session, "aide-soignant").body == "## Notre texte\n\nÀ nous."


def test_loading_adds_a_seed_for_a_metier_without_sheet(session: Session, tmp_path: Path) -> None:
    (tmp_path / "infirmier.md").write_text(
        "## Le métier\n\nSoigner.\n\n## Sources\n- Une source (consultée le 4 décembre 2026).\n",
        encoding="utf-8",
    )
    (tmp_path / "pas-un-metier.md").write_text("## Rien\n", encoding="utf-8")
    assert load_metier_sheets(session, tmp_path) == 1
    sheet = _sheet(session, "infirmier")
    assert sheet.body == "## Le métier\n\nSoigner."
    assert sheet.sources == "- Une source (consultée le 4 décembre 2026)."
    assert load_metier_sheets(session, tmp_path) == 0


def test_every_edit_is_a_version_and_restore_copies_an_old_one(session: Session) -> None:
    staff = f.make_user(session, Role.COORDINATOR, display_name="Camille Martin")
    actor = Actor.user(staff)
    seed = _sheet(session, "moniteur-educateur")
    seed_body, seed_sources = seed.body, seed.sources
    first = ops.save_sheet(
        session, actor, "moniteur-educateur", " ## Nouveau\n\nTexte. ", "- Source", now=T0
    )
    second = ops.save_sheet(
        session, actor, "moniteur-educateur", "## Encore\n\nAutre.", "", now=T0 + timedelta(1)
    )
    sheet = _sheet(session, "moniteur-educateur")
    assert (sheet.body, sheet.sources) == ("## Encore\n\nAutre.", "")
    assert sheet.updated_by_id == staff.id and sheet.updated_at == T0 + timedelta(1)
    assert first.body == "## Nouveau\n\nTexte." and first.author_id == staff.id
    assert first.created_at == T0 and second.id > first.id

    oldest = _versions(session, sheet)[0]
    restored = ops.restore_version(session, actor, oldest.id, now=T0 + timedelta(2))
    assert restored.restored_from_id == oldest.id and restored.author_id == staff.id
    assert (sheet.body, sheet.sources) == (seed_body, seed_sources)
    versions = _versions(session, sheet)
    assert len(versions) == 4  # seed, two edits, the restore: none was changed
    assert [v.body for v in versions[:3]] == [
        seed_body,
        "## Nouveau\n\nTexte.",
        "## Encore\n\nAutre.",
    ]
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "metier_sheet", AuditEntry.object_id == sheet.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [ops.EDIT_ACTION, ops.EDIT_ACTION, ops.RESTORE_ACTION]


def test_a_first_edit_creates_the_sheet_of_a_metier_without_one(session: Session) -> None:
    staff = f.make_user(session, Role.ADMIN)
    version = ops.save_sheet(session, Actor.user(staff), "infirmier", "## Le métier\n\nSoigner.")
    assert version.sheet.metier_code == "infirmier"
    assert _versions(session, version.sheet) == [version]


def test_only_staff_edit_or_restore(session: Session) -> None:
    seed = _versions(session, _sheet(session, "aide-soignant"))[0]
    count = session.scalar(select(func.count()).select_from(MetierSheetVersion))
    for role in (Role.EMPLOYER, Role.CANDIDATE):
        actor = Actor.user(f.make_user(session, role))
        with pytest.raises(PermissionDenied):
            ops.save_sheet(session, actor, "aide-soignant", "## Piraté")
        with pytest.raises(PermissionDenied):
            ops.restore_version(session, actor, seed.id)
    with pytest.raises(PermissionDenied):
        ops.save_sheet(session, Actor.visitor(), "aide-soignant", "## Piraté")
    assert session.scalar(select(func.count()).select_from(MetierSheetVersion)) == count
    assert "Piraté" not in _sheet(session, "aide-soignant").body


@pytest.mark.parametrize(
    ("body", "sources", "field", "message"),
    [
        ("", "", "body", "obligatoire"),
        ("   \n ", "", "body", "obligatoire"),
        ("## Texte\x00", "", "body", "caractère"),
        ("x" * 20_001, "", "body", "20000 caractères"),
        ("## Texte", "y" * 4_001, "sources", "4000 caractères"),
        (None, "", "body", "obligatoire"),
        (42, "", "body", "Texte attendu"),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(
    session: Session, body: object, sources: object, field: str, message: str
) -> None:
    staff = Actor.user(f.make_user(session, Role.COORDINATOR))
    before = session.scalar(select(func.count()).select_from(MetierSheetVersion))
    with pytest.raises(ValidationError) as exc:
        ops.save_sheet(session, staff, "educateur-specialise", body, sources)
    assert any(message in m for m in exc.value.errors[field]), exc.value.errors
    assert session.scalar(select(func.count()).select_from(MetierSheetVersion)) == before


def test_an_unchanged_save_or_an_unknown_metier_or_version_is_refused(session: Session) -> None:
    staff = Actor.user(f.make_user(session, Role.COORDINATOR))
    sheet = _sheet(session, "aide-soignant")
    with pytest.raises(ValidationError) as exc:
        ops.save_sheet(session, staff, "aide-soignant", sheet.body, sheet.sources)
    assert "inchangés" in exc.value.errors["body"][0]
    with pytest.raises(NotFound):
        ops.save_sheet(session, staff, "pas-un-metier", "## Texte")
    with pytest.raises(NotFound):
        ops.restore_version(session, staff, 2_147_483_647)
    (seed,) = _versions(session, sheet)
    with pytest.raises(ValidationError) as exc:
        ops.restore_version(session, staff, seed.id)  # already the sheet's text
    assert exc.value.errors == {"version": [ops.SAME_AS_CURRENT]}
    assert _versions(session, sheet) == [seed]


# --- The renderer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert('x')</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src="x" onerror="alert(1)">',
        "[clic](javascript:alert(1))",
        "[clic](JaVaScRiPt:alert(1))",
        "[clic](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">clic</a>',
        '<iframe src="https://evil.example"></iframe>',
        "![image](javascript:alert(1))",
        '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    ],
)
def test_no_script_ever_reaches_the_html(attack: str) -> None:
    html = str(render_markdown(f"## Titre\n\nAvant {attack} après\n\n{attack}\n"))
    parser = _Tags()
    parser.feed(html)
    assert parser.tags <= ALLOWED_TAGS, html
    for name, value in parser.attributes:
        assert not name.startswith("on") and name != "style", html
        if name in ("href", "src"):
            assert value.split(":")[0].lower() in ("http", "https", "mailto"), html
    assert "<h2>Titre</h2>" in html


class _Tags(HTMLParser):
    """Collect the tags and attributes of a piece of HTML, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend((k.lower(), v or "") for k, v in attrs)


def test_markdown_keeps_what_a_sheet_needs() -> None:
    html = str(
        render_markdown(
            "# Un\n\n## Deux\n\n- **gras** et *italique*\n- [lien](https://www.service-public.fr)\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
    )
    assert "<h2>Un</h2>" in html and "<h2>Deux</h2>" in html
    assert "<strong>gras</strong>" in html and "<em>italique</em>" in html
    assert '<a href="https://www.service-public.fr" rel="noopener noreferrer">lien</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert str(render_markdown("")) == "" and str(render_markdown(None)) == ""
