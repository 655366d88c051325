"""Turn raw mail into what a contact needs: who, subject, plain text, thread ids, attachments.

Real mail from Chinese senders often says gb2312 while carrying GBK or GB18030 characters,
so those are decoded as GB18030 (their superset); HTML is sanitised with nh3 and reduced to
text; bounces and auto-replies are recognised so they never become contacts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

ORDER_NUMBER = re.compile(r"GD\d{14}")
REPLY_MARKERS = re.compile(
    r"^(-{2,}\s*原始邮件\s*-{2,}|-{2,}\s*Original Message\s*-{2,}"
    r"|On .{5,200} wrote:$|在 .{5,100} 写道[:：]$|发件人[:：])",
    re.MULTILINE,
)
AUTO_SUBJECTS = re.compile(r"^(自动回复|自动答复|Auto:|Automatic reply|Out of Office|Autoreply)", re.IGNORECASE)
GB_ALIASES = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn"}
ALLOWED_ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/gif", "application/pdf", "text/plain"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class MalformedMail(ValueError):
    """The bytes are not a mail we can read (no sender, no headers)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    accepted: bool


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    recipients: list[str]
    subject: str
    text: str
    in_reply_to: list[str]
    order_numbers: list[str]
    is_automatic: bool
    is_bounce: bool
    attachments: list[Attachment] = field(default_factory=list)


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    if charset in GB_ALIASES:
        charset = "gb18030"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        for fallback in ("utf-8", "gb18030"):
            try:
                return payload.decode(fallback)
            except UnicodeDecodeError:
                continue
        return payload.decode("utf-8", errors="replace")


def html_to_text(markup: str) -> str:
    """Sanitise (nh3) and flatten HTML to readable text with line breaks kept."""
    clean = nh3.clean(markup, tags={"p", "br", "div", "li", "tr"}, attributes={})
    clean = re.sub(r"<(br|/p|/div|/li|/tr)\s*/?>", "\n", clean, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", clean))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_quoted(text: str) -> str:
    """Keep what the sender wrote now, not the quoted history below it."""
    match = REPLY_MARKERS.search(text)
    kept = text[: match.start()] if match and match.start() > 0 else text
    lines = [line for line in kept.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip() or text.strip()


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _sender(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    addresses = getattr(header, "addresses", ())
    if addresses:
        return str(addresses[0].display_name), str(addresses[0].addr_spec)
    return parseaddr(str(header or ""))


def parse_mail(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise MalformedMail("no headers")
    sender_name, sender = _sender(message)
    if "@" not in sender:
        raise MalformedMail("no sender address")
    subject = str(message.get("Subject", "")).strip()
    plain, markup = "", ""
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        if disposition == "attachment" or (disposition == "inline" and part.get_filename()):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            attachments.append(
                Attachment(
                    name=part.get_filename() or "attachment",
                    content_type=content_type,
                    size=size,
                    accepted=content_type in ALLOWED_ATTACHMENT_TYPES and size <= MAX_ATTACHMENT_BYTES,
                )
            )
        elif content_type == "text/plain" and not plain:
            plain = _decode_part(part)
        elif content_type == "text/html" and not markup:
            markup = _decode_part(part)
    text = plain.strip() or html_to_text(markup)
    report = message.get_content_type() == "multipart/report" and "delivery-status" in str(
        message.get("Content-Type", "")
    )
    daemon = sender.lower().split("@")[0] in {"mailer-daemon", "postmaster"}
    auto = (
        str(message.get("Auto-Submitted", "no")).lower() not in ("", "no")
        or bool(message.get("X-Autoreply") or message.get("X-Autorespond"))
        or str(message.get("Precedence", "")).lower() in {"bulk", "junk", "auto_reply", "list"}
        or bool(AUTO_SUBJECTS.match(subject))
    )
    references = _ids(str(message.get("In-Reply-To", ""))) + _ids(str(message.get("References", "")))
    return ParsedMail(
        message_id=(_ids(str(message.get("Message-ID", ""))) or [""])[0],
        sender=sender.lower(),
        sender_name=sender_name,
        recipients=[
            address.lower() for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        ],
        subject=subject,
        text=strip_quoted(text),
        in_reply_to=list(dict.fromkeys(references)),
        order_numbers=ORDER_NUMBER.findall(subject),
        is_automatic=auto,
        is_bounce=report or daemon,
        attachments=attachments,
    )
