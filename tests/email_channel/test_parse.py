"""Real-world mail: Chinese encodings, HTML, quotes, attachments, bounces and auto-replies."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from kefu.connectors.email.parse import MalformedMail, parse_mail


def gbk_mail() -> bytes:
    # Declared gb2312 but containing 镕, a GBK-only character, as real mail clients do.
    body = MIMEText("您好，我家宽带从昨天起断网，朱镕基路8号。".encode("gbk"), "plain", "gb2312")
    body["Subject"] = Header("宽带断网了", "gb18030")
    body["From"] = f"{Header('张三', 'gb18030').encode()} <zhangsan@example.cn>"
    body["To"] = "service@kefu.example.cn"
    body["Message-ID"] = "<gbk-1@example.cn>"
    return body.as_bytes()


def test_gb2312_declared_gbk_body_and_gb18030_subject_are_read():
    mail = parse_mail(gbk_mail())

    assert mail.subject == "宽带断网了"
    assert mail.text == "您好，我家宽带从昨天起断网，朱镕基路8号。"
    assert (mail.sender, mail.sender_name, mail.message_id) == ("zhangsan@example.cn", "张三", "<gbk-1@example.cn>")


def test_html_only_mail_is_sanitised_to_text():
    message = EmailMessage()
    message["From"] = "li@example.cn"
    message["Subject"] = "HTML"
    message.set_content('<p>机顶盒<b>黑屏</b></p><script>alert("x")</script><p>请处理</p>', subtype="html")

    mail = parse_mail(message.as_bytes())

    assert mail.text == "机顶盒黑屏\n请处理"


def test_quoted_history_is_cut_and_thread_ids_are_collected():
    message = EmailMessage()
    message["From"] = "li@example.cn"
    message["Subject"] = "Re: 关于工单GD20261122000123"
    message["In-Reply-To"] = "<a@kefu.example.cn>"
    message["References"] = "<root@kefu.example.cn> <a@kefu.example.cn>"
    message.set_content("还是没有修好。\n\n-----原始邮件-----\n发件人: 客服\n已为您派单")

    mail = parse_mail(message.as_bytes())

    assert mail.text == "还是没有修好。"
    assert mail.in_reply_to == ["<a@kefu.example.cn>", "<root@kefu.example.cn>"]
    assert mail.order_numbers == ["GD20261122000123"]


def test_attachments_are_listed_and_unsafe_types_rejected():
    message = EmailMessage()
    message["From"] = "li@example.cn"
    message["Subject"] = "照片"
    message.set_content("见附件")
    message.add_attachment(b"\xff\xd8\xff" + b"0" * 50, maintype="image", subtype="jpeg", filename="光猫.jpg")
    message.add_attachment(b"MZ...", maintype="application", subtype="x-msdownload", filename="setup.exe")

    mail = parse_mail(message.as_bytes())

    assert [(a.name, a.accepted) for a in mail.attachments] == [("光猫.jpg", True), ("setup.exe", False)]


def test_bounce_and_auto_reply_are_recognised():
    bounce = MIMEMultipart("report", report_type="delivery-status")
    bounce["From"] = "MAILER-DAEMON@mx.example.cn"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.attach(MIMEText("delivery failed"))
    auto = EmailMessage()
    auto["From"] = "wang@example.cn"
    auto["Subject"] = "自动回复: 您的工单"
    auto["Auto-Submitted"] = "auto-replied"
    auto.set_content("我正在休假")

    assert parse_mail(bounce.as_bytes()).is_bounce is True
    assert parse_mail(auto.as_bytes()).is_automatic is True


def test_mail_without_a_sender_is_malformed():
    with pytest.raises(MalformedMail):
        parse_mail(b"Subject: hello\r\n\r\nno sender here")
    with pytest.raises(MalformedMail):
        parse_mail(b"")
