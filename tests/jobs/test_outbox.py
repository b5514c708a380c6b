"""The outbox sends each mail exactly once through a real SMTP server, whatever fails."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.errors import ValidationError
from data.mail import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    dead_letters,
    enqueue,
    list_local_mails,
    make_mailer,
    outbox_counts,
    read_local_mail,
    requeue,
    send_pending,
    unsubscribe,
    unsubscribe_token_for,
)
from data.models.mail import OutboxMessage, OutboxStatus
from tests.jobs.conftest import SmtpServer, free_port

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _queue(factory: sessionmaker[Session], n: int, *, token: bool = False, prefix: str = "p"):
    ids = []
    with factory.begin() as s:
        for i in range(n):
            to = f"{prefix}{i}@exemple.fr"
            ids.append(
                enqueue(
                    s,
                    to=to,
                    kind="test",
                    key=str(i),
                    subject=f"Message n°{i} — accentué",
                    text=f"Bonjour {i}, voici un message.",
                    html=f"<p>Bonjour {i}, voici un <strong>message</strong>.</p>",
                    unsubscribe_token=unsubscribe_token_for(s, to, now=T0) if token else None,
                    now=T0,
                )
            )
    return ids


def _statuses(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {k: v for k, v in outbox_counts(s).items() if v}


# --- Queuing ---------------------------------------------------------------------------------


def test_enqueue_twice_is_a_no_op(session: Session) -> None:
    first = enqueue(session, to="A@Exemple.fr", kind="k", key="1", subject="S", text="t", now=T0)
    again = enqueue(session, to="a@exemple.fr ", kind="k", key="1", subject="S2", text="t2")
    other = enqueue(session, to="a@exemple.fr", kind="k", key="2", subject="S", text="t")
    assert isinstance(first, int) and again is None and isinstance(other, int)
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.recipient, r.key, r.subject) for r in rows] == [
        ("a@exemple.fr", "1", "S"),
        ("a@exemple.fr", "2", "S"),
    ]
    assert rows[0].status == OutboxStatus.PENDING and rows[0].next_attempt_at == T0


@pytest.mark.parametrize(
    "field,value",
    [
        ("to", "pas-une-adresse"),
        ("to", "a@b.fr\r\nBcc: x@y.fr"),
        ("subject", "Objet\nBcc: x@y.fr"),
        ("kind", ""),
    ],
)
def test_enqueue_refuses_bad_input_and_writes_nothing(
    session: Session, field: str, value: str
) -> None:
    kwargs = {"to": "a@exemple.fr", "kind": "k", "key": "1", "subject": "S", "text": "t"}
    kwargs[field] = value
    with pytest.raises(ValidationError):
        enqueue(session, **kwargs)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- Delivery and content --------------------------------------------------------------------


def test_smtp_delivery_with_headers_and_both_parts(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    ids = _queue(committed_factory, 2, token=True)
    report = send_pending(committed_factory, make_mailer(smtp_server.config()), now=T0)
    assert (report.claimed, report.sent) == (2, 2)

    msgs = sorted(smtp_server.messages, key=lambda m: str(m["To"]))
    assert [str(m["To"]) for m in msgs] == ["p0@exemple.fr", "p1@exemple.fr"]
    m = msgs[0]
    assert m["Subject"] == "Message n°0 — accentué"
    assert m["From"] == "Passerelle <ne-pas-repondre@passerelle.example>"
    assert m["Auto-Submitted"] == "auto-generated"
    assert m.get_content_type() == "multipart/alternative"
    plain = m.get_body(("plain",))
    html = m.get_body(("html",))
    assert plain is not None and "Bonjour 0, voici un message." in plain.get_content()
    assert html is not None and "<strong>message</strong>" in html.get_content()

    with committed_factory() as s:
        row = s.get(OutboxMessage, ids[0])
        token = row.unsubscribe_token
        assert row.status == OutboxStatus.SENT and row.sent_at == T0 and row.attempts == 1
        assert row.message_id == m["Message-ID"]
    assert m["Message-ID"].startswith(f"<passerelle.{ids[0]}.")
    assert m["Message-ID"].endswith("@passerelle.example>")
    assert m["List-Unsubscribe"].strip() == f"<https://passerelle.example/desabonnement/{token}>"
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_server.handler.envelopes[0][0] == "ne-pas-repondre@passerelle.example"

    # Nothing is left to send.
    assert send_pending(committed_factory, make_mailer(smtp_server.config()), now=T0).claimed == 0
    assert len(smtp_server.messages) == 2


def test_only_ids_sends_just_those(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    ids = _queue(committed_factory, 3)
    report = send_pending(committed_factory, make_mailer(smtp_server.config()), only_ids=[ids[1]])
    assert report.sent == 1
    assert [str(m["To"]) for m in smtp_server.messages] == ["p1@exemple.fr"]
    assert _statuses(committed_factory) == {"pending": 2, "sent": 1}


# --- Failures ----------------------------------------------------------------------------------


def test_smtp_down_then_back_delivers_every_mail_once(
    committed_factory: sessionmaker[Session],
) -> None:
    server = SmtpServer(free_port())  # not started: connections are refused
    ids = _queue(committed_factory, 5)
    mailer = make_mailer(server.config())

    down = send_pending(committed_factory, mailer, now=T0)
    assert (down.sent, down.retried, down.released) == (0, 1, 4)
    assert _statuses(committed_factory) == {"pending": 5}
    with committed_factory() as s:
        first = s.get(OutboxMessage, ids[0])
        assert first.attempts == 1 and first.next_attempt_at == T0 + timedelta(minutes=1)
        assert "ConnectionFailure" in first.last_error

    server.start()
    try:
        # A minute later the server is back: the four untried go at once, the first when due.
        back = send_pending(committed_factory, mailer, now=T0 + timedelta(seconds=30))
        assert back.sent == 4
        later = send_pending(committed_factory, mailer, now=T0 + timedelta(minutes=2))
        assert later.sent == 1
        assert send_pending(committed_factory, mailer, now=T0 + timedelta(hours=1)).claimed == 0
    finally:
        server.stop()
    assert sorted(server.handler.by_message_id().values()) == [1] * 5
    assert _statuses(committed_factory) == {"sent": 5}


def test_permanent_refusal_is_dead_at_once_and_listed(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    smtp_server.handler.rcpt_answers["p1@exemple.fr"] = "550 5.1.1 Mailbox unknown"
    ids = _queue(committed_factory, 3)
    report = send_pending(committed_factory, make_mailer(smtp_server.config()), now=T0)
    assert (report.sent, report.dead) == (2, 1)
    with committed_factory() as s:
        dead = dead_letters(s)
        assert [d.id for d in dead] == [ids[1]]
        assert "550" in dead[0].last_error
        # A coordinator fixes the address book and gives it another go.
        assert requeue(s, ids[1], now=T0) is True
        assert requeue(s, ids[0], now=T0) is False  # sent mails are not requeued
        s.commit()
    smtp_server.handler.rcpt_answers.clear()
    assert send_pending(committed_factory, make_mailer(smtp_server.config()), now=T0).sent == 1
    assert sorted(smtp_server.handler.by_message_id().values()) == [1, 1, 1]


def test_temporary_refusals_back_off_then_die_after_max_attempts(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    smtp_server.handler.rcpt_answers["p0@exemple.fr"] = "451 4.3.0 Try again later"
    (row_id,) = _queue(committed_factory, 1)
    mailer = make_mailer(smtp_server.config())
    when = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        # Not due before its backoff: nothing is tried.
        if attempt > 1:
            assert (
                send_pending(committed_factory, mailer, now=when - timedelta(seconds=1)).claimed
                == 0
            )
        report = send_pending(committed_factory, mailer, now=when)
        assert report.claimed == 1
        with committed_factory() as s:
            row = s.get(OutboxMessage, row_id)
            assert row.attempts == attempt
        when = row.next_attempt_at
    assert row.status == OutboxStatus.DEAD
    assert report.dead == 1 and "451" in row.last_error
    assert smtp_server.messages == []


class CrashAfter:
    """A mailer that forwards to a real one, then raises ``exc`` on send number ``k + 1``."""

    def __init__(self, inner, k: int, exc: BaseException) -> None:
        self.inner, self.k, self.exc = inner, k, exc
        self.mail_from, self.base_url = inner.mail_from, inner.base_url
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.calls > self.k:
            raise self.exc
        self.inner.send(message)

    def close(self) -> None:
        self.inner.close()


def test_batch_interrupted_midway_then_run_again_loses_nothing_and_repeats_nothing(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    _queue(committed_factory, 12)
    real = make_mailer(smtp_server.config())
    with pytest.raises(KeyboardInterrupt):
        send_pending(committed_factory, CrashAfter(real, 5, KeyboardInterrupt()), now=T0)
    # Five sent and recorded; the one in flight stays claimed; the six untried are free again.
    assert _statuses(committed_factory) == {"sent": 5, "sending": 1, "pending": 6}

    again = send_pending(committed_factory, real, now=T0 + timedelta(minutes=1))
    assert again.sent == 6 and again.recovered == 0
    # The claim of the crashed sender expires; its mail in flight goes then, once.
    after_lease = send_pending(committed_factory, real, now=T0 + CLAIM_LEASE + timedelta(seconds=1))
    assert (after_lease.recovered, after_lease.sent) == (1, 1)
    assert sorted(smtp_server.handler.by_message_id().values()) == [1] * 12
    assert _statuses(committed_factory) == {"sent": 12}


def test_unexpected_error_is_retried_like_a_temporary_failure(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    _queue(committed_factory, 3)
    real = make_mailer(smtp_server.config())
    report = send_pending(committed_factory, CrashAfter(real, 1, RuntimeError("bug")), now=T0)
    assert (report.sent, report.retried) == (1, 2)
    report = send_pending(committed_factory, real, now=T0 + timedelta(minutes=1))
    assert report.sent == 2
    assert sorted(smtp_server.handler.by_message_id().values()) == [1, 1, 1]


def test_two_senders_at_once_send_each_mail_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    n = 120
    _queue(committed_factory, n)
    smtp_server.handler.delay = 0.002  # make the runs overlap
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(send_pending(committed_factory, make_mailer(smtp_server.config())))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in reports) == n
    assert all(r.sent > 0 for r in reports), [r.sent for r in reports]
    assert sorted(smtp_server.handler.by_message_id().values()) == [1] * n
    assert _statuses(committed_factory) == {"sent": n}


def test_parallel_workers_send_each_mail_once_within_the_limit(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    _queue(committed_factory, 200)
    mailer = make_mailer(smtp_server.config())
    first = send_pending(committed_factory, mailer, limit=150, workers=3)
    assert (first.claimed, first.sent) == (150, 150)
    rest = send_pending(committed_factory, mailer, limit=500, workers=3)
    assert (rest.claimed, rest.sent) == (50, 50)
    assert sorted(smtp_server.handler.by_message_id().values()) == [1] * 200
    assert _statuses(committed_factory) == {"sent": 200}


# --- Opt-outs ----------------------------------------------------------------------------------


def test_opt_out_is_checked_at_send_time_and_spares_transactional_mail(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    with committed_factory.begin() as s:
        token = unsubscribe_token_for(s, "Lea@exemple.fr", now=T0)
        assert unsubscribe_token_for(s, "lea@exemple.fr") == token  # one per address
        enqueue(
            s,
            to="lea@exemple.fr",
            kind="digest",
            key="1",
            subject="S",
            text="t",
            unsubscribe_token=token,
            now=T0,
        )
        enqueue(s, to="lea@exemple.fr", kind="signin", key="1", subject="Lien", text="t", now=T0)
    # She unsubscribes after the digest was queued, before it went out.
    with committed_factory.begin() as s:
        assert unsubscribe(s, token, now=T0) == "lea@exemple.fr"
        assert unsubscribe(s, token, now=T0) == "lea@exemple.fr"  # idempotent
        assert unsubscribe(s, "inconnu") is None
    report = send_pending(committed_factory, make_mailer(smtp_server.config()), now=T0)
    assert (report.sent, report.suppressed) == (1, 1)
    assert [m["X-Passerelle-Kind"] for m in smtp_server.messages] == ["signin"]
    assert smtp_server.messages[0]["List-Unsubscribe"] is None
    assert _statuses(committed_factory) == {"sent": 1, "suppressed": 1}


# --- Transports --------------------------------------------------------------------------------


def test_file_backend_keeps_each_mail_once_and_lists_it(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ids = _queue(committed_factory, 2, token=True)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path / "mail"), "BASE_URL": "http://x.test"})
    assert send_pending(committed_factory, mailer, now=T0).sent == 2
    # Re-sending the same row (a recovered claim) rewrites its file instead of adding one.
    with committed_factory.begin() as s:
        s.get(OutboxMessage, ids[0]).status = OutboxStatus.PENDING
    send_pending(committed_factory, mailer, now=T0)

    mails = list_local_mails(tmp_path / "mail")
    assert sorted(m.to for m in mails) == ["p0@exemple.fr", "p1@exemple.fr"]
    assert all(m.subject.startswith("Message n°") and m.date == T0 for m in mails)
    msg = read_local_mail(tmp_path / "mail", mails[0].name)
    assert msg is not None and msg["List-Unsubscribe"].strip().startswith(
        "<http://x.test/desabonnement/"
    )
    assert read_local_mail(tmp_path / "mail", "../../etc/passwd") is None
    assert read_local_mail(tmp_path / "mail", "absent.eml") is None
    assert list_local_mails(tmp_path / "nowhere") == []


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_smtp_starttls_and_authentication(tmp_path: Path) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((session.ssl is not None, auth_data.login))
        ok = auth_data.login == b"passerelle" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    server = SmtpServer(
        free_port(),
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    server.start()
    try:
        mailer = make_mailer(
            server.config(
                SMTP_STARTTLS=True,
                SMTP_CA_FILE=str(cert),
                SMTP_USERNAME="passerelle",
                SMTP_PASSWORD="s3cret",
            )
        )
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = mailer.mail_from, "a@exemple.fr", "Chiffré"
        msg.set_content("Bonjour")
        mailer.send(msg)
        mailer.close()
    finally:
        server.stop()
    assert logins == [(True, b"passerelle")]
    assert [m["Subject"] for m in server.messages] == ["Chiffré"]


def test_make_mailer_refuses_an_unknown_backend() -> None:
    with pytest.raises(ValueError):
        make_mailer({"MAIL_BACKEND": "pigeon"})


@pytest.mark.parametrize(
    ("subject", "mail_from", "recipient", "token"),
    [
        (
            "Message n°0 — accentué",
            "Passerelle <ne-pas-repondre@passerelle.example>",
            "a@b.fr",
            "t",
        ),
        (
            "Vos suggestions",
            "Équipe Passerelle <ne@passerelle.example>",
            "x.y+z@ex-ample.org",
            None,
        ),
        ("A  double  space and a very long subject " * 3, "ne@p.example", "q@r.fr", "u" * 90),
    ],
)
def test_smtp_bytes_are_those_smtplib_would_send(
    subject: str, mail_from: str, recipient: str, token: str | None
) -> None:
    """The quick header path writes byte for byte what ``send_message`` flattens."""
    import copy
    from email.generator import BytesGenerator
    from io import BytesIO

    from data.mail.outbox import _Row, build_message
    from data.mailer.backends import _envelope, smtp_bytes

    row = _Row(7, recipient, "digest", "k", subject, "Bonjour é\n" * 40, "<p>é</p>", token, 0, T0)
    msg = build_message(row, mail_from=mail_from, base_url="https://passerelle.example")
    msg.set_boundary("==boundary==")  # otherwise each flatten draws its own
    expected = BytesIO()
    BytesGenerator(expected).flatten(copy.copy(msg), linesep="\r\n")  # what smtplib does
    assert smtp_bytes(msg) == expected.getvalue()
    sender = mail_from.rpartition("<")[2].rstrip(">")
    assert _envelope(msg) == (sender, [recipient])


def test_envelope_leaves_unusual_messages_to_smtplib() -> None:
    from data.mailer.backends import _envelope

    msg = EmailMessage()
    msg["From"] = "a@b.fr"
    msg["To"] = "c@d.fr"
    assert _envelope(msg) == ("a@b.fr", ["c@d.fr"])
    msg["Bcc"] = "e@f.fr"
    assert _envelope(msg) is None
    other = EmailMessage()
    other["From"] = "a@b.fr"
    other["To"] = "josé@exemple.fr"  # an internationalised address needs SMTPUTF8
    assert _envelope(other) is None
