"""Polling an existing mailbox over IMAP (`kefu imap-poll`, and the worker every
KEFU_IMAP_POLL_SECONDS): for an operator whose service mailbox lives on its own mail server.

Each enabled "email-imap" channel account is one mailbox feeding one queue (else KEFU_IMAP_*
and KEFU_EMAIL_QUEUE). A poll asks for the UNSEEN messages by UID, fetches each with
BODY.PEEK[] (which leaves it unseen), feeds the raw mail to the same inbound path as the SMTP
receiver (stored once under its Message-ID, then processed) and only then sets \\Seen. A crash
between the two leaves the mail unseen: the next poll fetches it again and the store is a no-op.
A mail Kefu refuses as malformed is marked seen too (it would be refused forever), and logged.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

from kefu.connectors.email.inbound import receive_mail
from kefu.connectors.email.parse import MalformedMail
from kefu.messaging.channel_accounts import ChannelConfig, channel_configs, record_connector_health
from kefu.messaging.models import ChannelKind

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
MAX_PER_POLL = 200  # the rest waits for the next poll; a poll stays short


class MailboxError(RuntimeError):
    """The mail server refused or did not answer; the poll is tried again next time."""


@dataclass(frozen=True)
class PollResult:
    mailbox: str
    fetched: int = 0
    stored: int = 0
    repeats: int = 0
    refused: int = 0
    error: str = ""


LOGIN_RETRY_SECONDS = 2.0


def _connect(config: ChannelConfig) -> imaplib.IMAP4:
    host, security = config.text("host"), config.text("security") or "ssl"
    port = config.number("port") or (993 if security == "ssl" else 143)
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS)
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    if security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def _check(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}"[:300])
    return data


def _login(client: imaplib.IMAP4, config: ChannelConfig) -> None:
    """Log in; a server's temporary failure ([UNAVAILABLE], e.g. its auth process is busy) is
    tried again once before the poll gives up (it is tried again at the next poll anyway)."""
    for attempt in (1, 2):
        try:
            _check(client.login(config.text("user"), config.text("password")), "login")
            return
        except imaplib.IMAP4.error as error:
            if attempt == 2 or b"UNAVAILABLE" not in str(error).encode():
                raise
            time.sleep(LOGIN_RETRY_SECONDS)


def _raw_mail(data: list[Any]) -> bytes | None:
    """The message bytes in a FETCH answer: [(b'1 (UID 7 BODY[] {123}', b'<mail>'), b')']."""
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def poll_mailbox(config: ChannelConfig, *, limit: int = MAX_PER_POLL) -> PollResult:
    """Fetch this mailbox's unseen mail into Kefu; raises MailboxError (or OSError) when the server fails."""
    name = config.name or "KEFU_IMAP"
    fetched = stored = repeats = refused = 0
    client = _connect(config)
    try:
        _login(client, config)
        _check(client.select(_quoted(config.text("mailbox") or "INBOX")), "select")
        found = _check(client.uid("SEARCH", "UNSEEN"), "search")
        uids = (found[0] if found and isinstance(found[0], bytes) else b"").split()[:limit]
        for uid in uids:
            raw = _raw_mail(_check(client.uid("FETCH", uid.decode(), "(BODY.PEEK[])"), "fetch"))
            if raw is None:
                continue  # deleted meanwhile by another client
            fetched += 1
            try:
                _item, created = receive_mail(raw, queue_code=config.queue_code)
            except MalformedMail as error:
                refused += 1
                logger.warning("IMAP %s: refused mail UID %s: %s", name, uid.decode(), error)
            else:
                stored += created
                repeats += not created
            _check(client.uid("STORE", uid.decode(), "+FLAGS", r"(\Seen)"), "store")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):  # the connection is going away anyway
            client.logout()
    return PollResult(name, fetched, stored, repeats, refused)


def _quoted(mailbox: str) -> str:
    """IMAP quotes a mailbox name with spaces (or non-ASCII: modified UTF-7 is the caller's business)."""
    return mailbox if mailbox.isalnum() else '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_all() -> list[PollResult]:
    """One poll of every configured mailbox; a failing one is recorded and does not stop the others."""
    results = []
    for config in channel_configs(ChannelKind.EMAIL_IMAP):
        if not config.configured:
            continue
        try:
            result = poll_mailbox(config)
        except (MailboxError, imaplib.IMAP4.error, OSError) as error:
            message = f"{type(error).__name__}: {error}"[:300]
            logger.warning("IMAP %s: %s", config.name or "KEFU_IMAP", message)
            record_connector_health(config.account_id, error=message)
            results.append(PollResult(config.name or "KEFU_IMAP", error=message))
            continue
        record_connector_health(config.account_id)
        if result.fetched:
            logger.info("IMAP %s: %s mails, %s new", result.mailbox, result.fetched, result.stored)
        results.append(result)
    return results
