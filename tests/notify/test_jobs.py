"""Delivery jobs: what arrives, in which language, and what happens when SMTP fails."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from copn.core.clock import utcnow
from copn.core.queues import get_queue, make_worker
from copn.extensions import db
from copn.notify.jobs import deliver_emails
from copn.notify.mail import build_message
from copn.notify.models import FAILED, PENDING, SENT, OutboxMessage
from copn.notify.services import queue_email, relay_once
from tests.conftest import Mailbox, free_port

CONTEXT = {"base_url": "http://copn.test"}
# The test mail's subject, sentence and footer as the project's catalogue has them.
VI = {
    "COPN test message": "Thư thử nghiệm của COPN",
    "This is a test message from COPN. If you can read it, mail from COPN reaches "
    "you.": "Đây là thư thử nghiệm của COPN. Nếu bạn đọc được thư này, thư từ COPN "
    "đã đến được với bạn.",
    "Child Online Protection Network (COPN)": "Mạng lưới ứng cứu, bảo vệ trẻ em "
    "trên môi trường mạng (COPN)",
}


def _queue(recipient: str, locale: str = "en", template: str = "test_mail") -> int:
    return queue_email(recipient, template, CONTEXT, locale=locale).id


def _row(message_id: int) -> OutboxMessage:
    """The row as the database holds it now, not as this session last saw it."""
    db.session.rollback()
    row = db.session.get(OutboxMessage, message_id)
    assert row is not None
    return row


def _make_due(message_id: int) -> None:
    _row(message_id).next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _work(app: Flask) -> None:
    """Run ``app``'s queued jobs with a real (non-forking) RQ worker."""
    make_worker(app, forking=False).work(burst=True, with_scheduler=True)


def _body(message: Message, subtype: str) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == f"text/{subtype}"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "ascii")


class Recorder:
    """An SMTP handler that keeps each message with its session, and can answer
    chosen recipients with a given reply ("550 ...", "450 ...", "421 ...")."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.received: list[tuple[Any, Message]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content)
        self.received.append((session, message))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [message["To"] for _, message in self.received]

    def sessions(self) -> int:
        # The sessions are kept alive in ``received``, so their ids stay distinct.
        return len({id(session) for session, _ in self.received})


@pytest.fixture(scope="module")
def _recording_server() -> Iterator[tuple[Controller, Recorder]]:
    recorder = Recorder()
    # Like many relays, this one does not offer SMTPUTF8 (aiosmtpd does by default).
    controller = Controller(
        recorder, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False
    )
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def recorder(
    app: Flask, _recording_server: tuple[Controller, Recorder]
) -> Iterator[Recorder]:
    """Points the app's mail at a recording SMTP server, emptied for this test."""
    controller, handler = _recording_server
    handler.answers.clear()
    handler.received.clear()
    app.config["MAIL_PORT"] = controller.port
    yield handler
    handler.received.clear()


@pytest.mark.parametrize(
    ("locale", "subject", "sentence", "footer"),
    [
        ("vi", *VI.values()),
        ("en", *VI.keys()),
    ],
    ids=["vi", "en"],
)
def test_mail_is_in_the_recipients_language(
    make_app: Callable[..., Flask],
    mailbox: Mailbox,
    locale: str,
    subject: str,
    sentence: str,
    footer: str,
) -> None:
    """The mail reads in the recipient's language, as plain text and as HTML."""
    app = make_app()
    with app.app_context():
        _queue("an@example.org", locale=locale)
        db.session.commit()
        _work(app)

    (message,) = mailbox.to("an@example.org")
    assert mailbox.subjects() == [subject]
    assert message["Subject"].isascii()
    assert unicodedata.is_normalized("NFC", mailbox.subjects()[0])
    assert message["Content-Language"] == locale
    assert message.get_content_type() == "multipart/alternative"

    text = _body(message, "plain")
    assert sentence in text
    assert footer in text
    assert "http://copn.test" in text
    assert "<p>" not in text
    html = _body(message, "html")
    assert f'<html lang="{locale}">' in html
    assert f"<p>{sentence}</p>" in html
    assert '<a href="http://copn.test">' in html


def test_message_id_is_derived_from_the_outbox_row(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail sent again after a crash keeps its Message-ID, so clients show it once."""
    message_id = _queue("an@example.org")
    db.session.commit()
    run_jobs()

    row = _row(message_id)
    expected = f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@copn.example>"
    (message,) = mailbox.messages
    assert message["Message-ID"] == expected
    rebuilt = build_message(
        row.id, row.created_at, row.recipient, row.template, row.context, row.locale
    )
    assert rebuilt["Message-ID"] == expected


def test_many_mails_go_in_batches_over_one_connection_each(
    app: Flask, run_jobs: Callable[[], int], recorder: Recorder
) -> None:
    """250 mails of one action go as 3 jobs of up to 100, one SMTP session each."""
    app.config["MAIL_BATCH_SIZE"] = 100
    recipients = [f"member{n}@example.org" for n in range(250)]
    for recipient in recipients:
        _queue(recipient)
    db.session.commit()

    jobs = get_queue("mail").get_jobs()
    assert [len(job.args[0]) for job in jobs] == [100, 100, 50]
    run_jobs()

    assert sorted(recorder.recipients()) == sorted(recipients)
    assert recorder.sessions() == 3
    assert relay_once() == 0


def test_mail_waits_while_the_smtp_server_is_down(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """With the mail server down nothing is lost; the mail goes out once it is back."""
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    message_id = _queue("an@example.org")
    db.session.commit()
    before = utcnow()
    run_jobs()

    row = _row(message_id)
    assert (row.status, row.attempts, row.claim_token) == (PENDING, 1, None)
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    assert row.last_error == "ConnectionRefusedError"
    assert relay_once() == 0

    app.config["MAIL_PORT"] = port
    _make_due(message_id)
    assert relay_once() == 1
    run_jobs()
    assert len(mailbox.messages) == 1
    assert (_row(message_id).status, _row(message_id).attempts) == (SENT, 2)

    assert relay_once() == 0
    run_jobs()
    assert len(mailbox.messages) == 1


def test_mail_fails_after_the_last_attempt(app: Flask, mailbox: Mailbox) -> None:
    """A mail that cannot be delivered is retried with growing pauses, then failed."""
    app.config.update(MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3)
    message_id = _queue("an@example.org")
    db.session.commit()
    pauses = []

    for attempt in (1, 2):
        before = utcnow()
        assert deliver_emails([message_id]) == 0
        row = _row(message_id)
        assert (row.status, row.attempts) == (PENDING, attempt)
        pauses.append(row.next_attempt_at - before)
        _make_due(message_id)

    assert deliver_emails([message_id]) == 0
    row = _row(message_id)
    assert (row.status, row.attempts) == (FAILED, 3)
    assert pauses[0] >= timedelta(seconds=30)
    assert pauses[1] >= timedelta(seconds=60)
    assert relay_once() == 0
    assert mailbox.messages == []


def test_refused_recipient_fails_alone(
    app: Flask, run_jobs: Callable[[], int], recorder: Recorder
) -> None:
    """A recipient the server refuses for good fails; the rest of the batch goes out."""
    recorder.answers["gone@example.org"] = "550 5.1.1 No such user"
    ids = [_queue(r) for r in ("a@example.org", "gone@example.org", "c@example.org")]
    db.session.commit()
    run_jobs()

    assert recorder.recipients() == ["a@example.org", "c@example.org"]
    assert [_row(i).status for i in ids] == [SENT, FAILED, SENT]
    assert "550" in (_row(ids[1]).last_error or "")
    assert relay_once() == 0


def test_deferred_recipient_waits_alone(
    app: Flask, run_jobs: Callable[[], int], recorder: Recorder
) -> None:
    """A recipient deferred with a 4xx waits for a retry; the rest of the batch goes."""
    recorder.answers["busy@example.org"] = "450 4.2.1 Mailbox busy"
    ids = [_queue(r) for r in ("a@example.org", "busy@example.org", "c@example.org")]
    db.session.commit()
    run_jobs()

    assert recorder.recipients() == ["a@example.org", "c@example.org"]
    assert [_row(i).status for i in ids] == [SENT, PENDING, SENT]
    assert _row(ids[1]).next_attempt_at > utcnow()

    del recorder.answers["busy@example.org"]
    _make_due(ids[1])
    assert relay_once() == 1
    run_jobs()
    assert recorder.recipients() == [
        "a@example.org",
        "c@example.org",
        "busy@example.org",
    ]


def test_server_closing_the_session_defers_the_rest_of_the_batch(
    app: Flask, run_jobs: Callable[[], int], recorder: Recorder
) -> None:
    """When the server hangs up mid-batch, what was sent stays sent, the rest waits."""
    recorder.answers["b@example.org"] = "421 4.3.2 Shutting down"
    ids = [_queue(r) for r in ("a@example.org", "b@example.org", "c@example.org")]
    db.session.commit()
    run_jobs()

    assert recorder.recipients() == ["a@example.org"]
    rows = [_row(i) for i in ids]
    assert [(r.status, r.attempts) for r in rows] == [
        (SENT, 1),
        (PENDING, 1),
        (PENDING, 1),
    ]


def test_unsendable_address_fails_alone(
    app: Flask, run_jobs: Callable[[], int], recorder: Recorder
) -> None:
    """An address the server cannot accept (no SMTPUTF8) fails; the others still go."""
    ids = [_queue(r) for r in ("a@example.org", "người@example.org", "c@example.org")]
    db.session.commit()
    run_jobs()

    assert recorder.recipients() == ["a@example.org", "c@example.org"]
    assert [_row(i).status for i in ids] == [SENT, FAILED, SENT]


def test_mail_whose_template_cannot_render_fails_alone(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail whose template is missing fails; the others in its batch still go."""
    ids = [
        _queue("a@example.org"),
        _queue("b@example.org", template="no_such_template"),
        _queue("c@example.org"),
    ]
    db.session.commit()
    run_jobs()

    assert sorted(m["To"] for m in mailbox.messages) == [
        "a@example.org",
        "c@example.org",
    ]
    assert [_row(i).status for i in ids] == [SENT, FAILED, SENT]
    assert _row(ids[1]).last_error == "render error"


def test_file_backend_writes_one_eml_per_mail(
    make_app: Callable[..., Flask], tmp_path: Path, mailbox: Mailbox
) -> None:
    """In development each mail lands in instance/mail/ as an .eml, none by SMTP."""
    app = make_app(INSTANCE_PATH=str(tmp_path), MAIL_BACKEND="file")
    with app.app_context():
        ids = [_queue("a@example.org"), _queue("b@example.org")]
        db.session.commit()
        _work(app)
        assert [_row(i).status for i in ids] == [SENT, SENT]

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    messages = [message_from_bytes(f.read_bytes()) for f in files]
    assert sorted(m["To"] for m in messages) == ["a@example.org", "b@example.org"]
    assert all(f.stem in m["Message-ID"] for f, m in zip(files, messages, strict=True))
    assert mailbox.messages == []
