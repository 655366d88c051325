"""SMS text both ways, independent of the gateway: the alphabet a text needs, how a long text is
cut into concatenated segments (UDH), how an incoming short message decodes, and how delivery
reports read (Kannel's DLR types, SMPP receipts).

GSM 03.38 is the default alphabet; anything it cannot carry (Chinese) goes as UCS-2, SMPP
data_coding 8, 70 characters in one SMS or 67 per segment of a concatenated one.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

DATA_CODING_DEFAULT = 0  # the SMSC's default alphabet: GSM 03.38, unpacked, one septet per octet
DATA_CODING_IA5 = 1
DATA_CODING_LATIN1 = 3
DATA_CODING_BINARY = 4
DATA_CODING_UCS2 = 8
ESM_CLASS_UDHI = 0x40  # the short message starts with a user data header
ESM_CLASS_RECEIPT = 0x04  # deliver_sm carries an SMSC delivery receipt, not a customer's message
MAX_SEGMENTS = 255

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}  # fmt: skip
_GSM_ENCODE = {char: bytes([code]) for code, char in enumerate(GSM_BASIC) if char != "\x1b"}
_GSM_ENCODE.update({char: bytes([0x1B, code]) for code, char in GSM_EXTENSION.items()})


class Alphabet(enum.Enum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class Segments:
    """A text ready for submit_sm: the data coding, and one payload per SMS (UDH included)."""

    alphabet: Alphabet
    data_coding: int
    parts: list[bytes]

    @property
    def concatenated(self) -> bool:
        return len(self.parts) > 1


def alphabet_for(text: str) -> Alphabet:
    return Alphabet.GSM7 if all(char in _GSM_ENCODE for char in text) else Alphabet.UCS2


def _units(text: str, alphabet: Alphabet) -> list[bytes]:
    """Each character's encoding; a segment boundary never cuts one (escapes, surrogate pairs)."""
    if alphabet is Alphabet.GSM7:
        return [_GSM_ENCODE[char] for char in text]
    return [char.encode("utf-16-be") for char in text]


def _limits(alphabet: Alphabet) -> tuple[int, int]:
    """(octets in a single SMS, octets per segment after the 6-octet UDH)."""
    return (160, 153) if alphabet is Alphabet.GSM7 else (140, 134)


def segment(text: str, *, reference: int) -> Segments:
    """Cut `text` into SMS payloads; a long text gets the concatenation UDH (IEI 0, 8-bit ref)."""
    alphabet = alphabet_for(text)
    units = _units(text, alphabet)
    single, per_part = _limits(alphabet)
    coding = DATA_CODING_DEFAULT if alphabet is Alphabet.GSM7 else DATA_CODING_UCS2
    whole = b"".join(units)
    if len(whole) <= single:
        return Segments(alphabet, coding, [whole])
    chunks: list[bytes] = []
    current = b""
    for unit in units:
        if len(current) + len(unit) > per_part:
            chunks.append(current)
            current = b""
        current += unit
    chunks.append(current)
    if len(chunks) > MAX_SEGMENTS:
        raise ValueError("text too long for one concatenated SMS")
    ref = reference & 0xFF
    return Segments(
        alphabet,
        coding,
        [bytes([0x05, 0x00, 0x03, ref, len(chunks), number]) + chunk for number, chunk in enumerate(chunks, 1)],
    )


def count_segments(text: str) -> int:
    return len(segment(text, reference=0).parts)


# --- incoming short messages ------------------------------------------------------------------


@dataclass(frozen=True)
class Concatenation:
    """Where one segment sits in a concatenated message (from its UDH)."""

    reference: int
    total: int
    number: int


def split_udh(payload: bytes) -> tuple[Concatenation | None, bytes]:
    """The concatenation info of a UDH (IEI 0 or 8) and the user data after the header."""
    if not payload:
        return None, payload
    header_length = payload[0]
    header, data = payload[1 : 1 + header_length], payload[1 + header_length :]
    position = 0
    concatenation = None
    while position + 2 <= len(header):
        element, length = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + length]
        if element == 0x00 and length == 3:
            concatenation = Concatenation(value[0], value[1], value[2])
        elif element == 0x08 and length == 4:
            concatenation = Concatenation((value[0] << 8) | value[1], value[2], value[3])
        position += 2 + length
    return concatenation, data


def decode_gsm7(data: bytes) -> str:
    """Unpacked GSM 03.38 septets (as SMPP carries them) to text."""
    chars: list[str] = []
    escaped = False
    for octet in data:
        code = octet & 0x7F
        if escaped:
            chars.append(GSM_EXTENSION.get(code, " "))
            escaped = False
        elif code == 0x1B:
            escaped = True
        else:
            chars.append(GSM_BASIC[code])
    return "".join(chars)


def decode_short_message(data: bytes, data_coding: int) -> str:
    """Text of an incoming short message by its SMPP data_coding."""
    if data_coding == DATA_CODING_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == DATA_CODING_LATIN1:
        return data.decode("latin-1")
    if data_coding == DATA_CODING_IA5:
        return data.decode("ascii", errors="replace")
    if data_coding == DATA_CODING_DEFAULT:
        if any(octet > 0x7F for octet in data):
            # Some SMSCs pass UTF-8 under the default coding; GSM septets never set the high bit.
            return data.decode("utf-8", errors="replace")
        return decode_gsm7(data)
    return data.decode("utf-8", errors="replace")


def normalise_number(msisdn: str) -> str:
    """A Chinese mobile number without its country code, as the customer records hold it."""
    digits = "".join(char for char in msisdn if char.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or msisdn.strip()


# --- delivery reports -------------------------------------------------------------------------


class ReportState(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"  # accepted or buffered by the network: nothing final yet


KANNEL_DLR_STATES = {
    1: ReportState.DELIVERED,  # delivered to the phone
    2: ReportState.FAILED,  # not delivered to the phone
    4: ReportState.PENDING,  # queued on the SMSC
    8: ReportState.PENDING,  # accepted by the SMSC
    16: ReportState.FAILED,  # rejected by the SMSC
}
SMPP_RECEIPT_STATES = {
    "DELIVRD": ReportState.DELIVERED,
    "EXPIRED": ReportState.FAILED,
    "DELETED": ReportState.FAILED,
    "UNDELIV": ReportState.FAILED,
    "REJECTD": ReportState.FAILED,
    "ACCEPTD": ReportState.PENDING,
    "ENROUTE": ReportState.PENDING,
    "UNKNOWN": ReportState.PENDING,
}
SMPP_MESSAGE_STATES = {
    1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD",
}  # fmt: skip
RECEIPT_FIELD = re.compile(r"(id|stat|err):(\S*)", re.IGNORECASE)


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: str  # the SMSC's word: DELIVRD, UNDELIV, ...
    error: str

    @property
    def state(self) -> ReportState:
        return SMPP_RECEIPT_STATES.get(self.status.upper(), ReportState.PENDING)


def parse_receipt(text: str, *, receipted_message_id: str = "", message_state: int | None = None) -> Receipt:
    """An SMPP 3.4 delivery receipt (Appendix B text; the TLVs win when the SMSC sends them)."""
    fields = {name.lower(): value for name, value in RECEIPT_FIELD.findall(text)}
    status = SMPP_MESSAGE_STATES.get(message_state or 0, "") or fields.get("stat", "")
    message_id = receipted_message_id or fields.get("id", "")
    if not message_id:
        raise ValueError("a delivery receipt without a message id")
    return Receipt(message_id=message_id, status=status.upper() or "UNKNOWN", error=fields.get("err", ""))


# --- Kannel's callbacks -----------------------------------------------------------------------


def query_bytes(query: str) -> dict[str, bytes]:
    """A query string's parameters as raw bytes (Kannel may put UCS-2 octets in `text`)."""
    pairs = parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    return {name: value.encode("latin-1") for name, value in pairs}


def kannel_text(raw: bytes, *, coding: str, charset: str) -> str:
    """Text of a Kannel MO by its %c coding (0 7-bit, 1 8-bit, 2 UCS-2) and %C charset."""
    if coding == "2" or charset.upper().replace("-", "") in {"UTF16BE", "UCS2", "UTF16"}:
        return raw.decode("utf-16-be", errors="replace")
    try:
        return raw.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")
