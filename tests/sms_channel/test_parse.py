"""SMS text rules: alphabet, segmentation, decoding, delivery reports."""

from __future__ import annotations

import pytest

from kefu.connectors.sms.parse import (
    GSM_BASIC,
    Alphabet,
    Concatenation,
    ReportState,
    count_segments,
    decode_short_message,
    kannel_text,
    normalise_number,
    parse_receipt,
    segment,
    split_udh,
)


def test_the_gsm_table_has_the_128_characters_of_the_standard():
    assert len(GSM_BASIC) == 128
    assert (GSM_BASIC[0x00], GSM_BASIC[0x5F], GSM_BASIC[0x60], GSM_BASIC[0x7F]) == ("@", "§", "¿", "à")


@pytest.mark.parametrize(
    ("text", "alphabet", "parts"),
    [
        ("a" * 160, Alphabet.GSM7, 1),
        ("a" * 161, Alphabet.GSM7, 2),
        ("{" * 80, Alphabet.GSM7, 1),  # escaped characters count twice
        ("{" * 81, Alphabet.GSM7, 2),
        ("宽" * 70, Alphabet.UCS2, 1),
        ("宽" * 71, Alphabet.UCS2, 2),
        ("宽" * 134, Alphabet.UCS2, 2),
        ("宽" * 135, Alphabet.UCS2, 3),
    ],
)
def test_texts_are_cut_at_the_standard_lengths(text, alphabet, parts):
    segments = segment(text, reference=1)

    assert (segments.alphabet, len(segments.parts)) == (alphabet, parts)
    assert count_segments(text) == parts


def test_chinese_goes_as_ucs2_with_the_concatenation_header():
    text = "您好" * 40

    segments = segment(text, reference=0x1AB)

    assert segments.data_coding == 8
    assert [part[:6] for part in segments.parts] == [b"\x05\x00\x03\xab\x02\x01", b"\x05\x00\x03\xab\x02\x02"]
    assert b"".join(part[6:] for part in segments.parts).decode("utf-16-be") == text


def test_a_segment_boundary_never_cuts_a_character():
    text = "a" + "😀" * 40  # surrogate pairs: 4 octets each in UTF-16

    segments = segment(text, reference=5)

    for part in segments.parts:
        part[6:].decode("utf-16-be")  # each segment decodes on its own
    assert b"".join(part[6:] for part in segments.parts).decode("utf-16-be") == text


def test_incoming_short_messages_decode_by_their_coding():
    assert decode_short_message("已收到".encode("utf-16-be"), 8) == "已收到"
    assert decode_short_message(b"Hello \x1b\x28ok\x1b\x29 \x1b\x65", 0) == "Hello {ok} €"
    assert decode_short_message("café".encode("latin-1"), 3) == "café"
    assert decode_short_message("收到".encode(), 0) == "收到"  # UTF-8 under the default coding


def test_udh_concatenation_in_both_reference_sizes():
    assert split_udh(b"\x05\x00\x03\x07\x03\x02data") == (Concatenation(7, 3, 2), b"data")
    assert split_udh(b"\x06\x08\x04\x01\x02\x02\x01data") == (Concatenation(0x102, 2, 1), b"data")


def test_receipts_read_from_the_text_or_the_tlvs():
    receipt = parse_receipt(
        "id:5A0001 sub:001 dlvrd:001 submit date:2611221030 done date:2611221031 stat:DELIVRD err:000 text:"
    )
    assert (receipt.message_id, receipt.status, receipt.error, receipt.state) == (
        "5A0001",
        "DELIVRD",
        "000",
        ReportState.DELIVERED,
    )
    by_tlv = parse_receipt("id:xyz stat:DELIVRD", receipted_message_id="5A0002", message_state=5)
    assert (by_tlv.message_id, by_tlv.state) == ("5A0002", ReportState.FAILED)
    with pytest.raises(ValueError, match="message id"):
        parse_receipt("stat:DELIVRD")


@pytest.mark.parametrize(
    ("given", "kept"),
    [("+8613812345678", "13812345678"), ("8613812345678", "13812345678"), ("008613812345678", "13812345678"),
     ("13812345678", "13812345678"), ("10086", "10086")],
)  # fmt: skip
def test_numbers_lose_the_country_code(given, kept):
    assert normalise_number(given) == kept


def test_kannel_texts_decode_by_coding_and_charset():
    assert kannel_text("断网".encode("utf-16-be"), coding="2", charset="UTF-16BE") == "断网"
    assert kannel_text("断网".encode(), coding="0", charset="UTF-8") == "断网"
    assert kannel_text(b"hi", coding="", charset="") == "hi"
