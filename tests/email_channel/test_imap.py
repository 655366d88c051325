"""An existing mailbox polled over IMAP: unseen mail becomes contacts in the mailbox's queue and is
marked seen; a repeat is a no-op; a malformed mail is refused and not fetched forever; a failing
server is recorded on the account — against a real IMAP server (Debian's dovecot) on 127.0.0.1."""

from __future__ import annotations

import getpass
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kefu.accounts.models import Skill
from kefu.connectors.email.imap import poll_all
from kefu.connectors.email.tasks import imap_configured
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.channel_accounts import forget_channel_accounts, save_channel_account
from kefu.messaging.models import ChannelAccount
from kefu.routing.models import Queue, QueueEntry

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "service@kefu.example.cn", "Mailbox-pass-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ImapServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client


def dovecot_config(root: Path, port: int) -> str:
    """Everything in `root`, no TLS, one passwd-file user; as root the package's unprivileged users
    run it, otherwise the current user does (dovecot runs unprivileged when nothing asks for root)."""
    privileged = os.geteuid() == 0
    internal = "dovecot" if privileged else getpass.getuser()
    login = "dovenull" if privileged else internal
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# a test logs in with a wrong password on purpose: no penalty for the loopback that would slow
# (and, on a busy machine, time out) the logins of the tests after it
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={internal} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (scripts/test.sh does)")
    root = tmp_path_factory.mktemp("dovecot")
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(dovecot_config(root, port))
    if os.geteuid() == 0:
        shutil.chown(root / "mail", "dovecot", "dovecot")
        for parent in (root, *root.parents):  # the mail processes must reach their folder
            parent.chmod(parent.stat().st_mode | 0o711)
    log = root / "dovecot.out"
    process = subprocess.Popen(  # noqa: S603 — Debian's dovecot with our generated config
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    server = ImapServer(port, process, root / "dovecot.log")
    deadline = time.monotonic() + 20
    while True:
        try:
            server.client().logout()
            break
        except (OSError, imaplib.IMAP4.error):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(
                    f"dovecot did not start: {log.read_text()} {server.log.read_text() if server.log.exists() else ''}"
                )
            time.sleep(0.2)
    yield server
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


@pytest.fixture
def mailbox(imap_server: ImapServer) -> Iterator[imaplib.IMAP4]:
    """The service mailbox, emptied."""
    client = imap_server.client()
    if client.select("INBOX")[1][0] != b"0":
        client.store("1:*", "+FLAGS", r"(\Deleted)")
        client.expunge()
    yield client
    client.logout()


@pytest.fixture(autouse=True)
def _no_cached_accounts() -> Iterator[None]:
    forget_channel_accounts()
    yield
    forget_channel_accounts()  # the test's accounts are rolled back


@pytest.fixture
def queues(db: None) -> tuple[Queue, Queue]:
    skill = Skill.objects.create(code="BB", name="宽带")
    return (
        Queue.objects.create(code="EMAIL", name="邮件", channels=["email"], skill=skill),
        Queue.objects.create(code="EMAIL-ENT", name="政企邮件", channels=["email"], skill=skill),
    )


def mailbox_account(imap_server: ImapServer, adam, *, password: str = PASSWORD, queue: str = "EMAIL-ENT"):
    account = ChannelAccount(kind="email-imap", name="政企客服邮箱", queue_code=queue, enabled=True)
    return save_channel_account(
        account,
        by=adam,
        config={"host": "127.0.0.1", "port": imap_server.port, "security": "none", "user": USER, "mailbox": "INBOX"},
        new_secrets={"password": password},
    )


def customer_mail(subject: str, body: str, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "李四 <lisi@example.cn>"
    mail["To"] = USER
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail.set_content(body)
    return bytes(mail)


def append(client: imaplib.IMAP4, raw: bytes, *, seen: bool = False) -> None:
    status, _data = client.append("INBOX", r"(\Seen)" if seen else None, None, raw)
    assert status == "OK"


def unseen(client: imaplib.IMAP4) -> list[bytes]:
    client.select("INBOX")
    return client.uid("SEARCH", "UNSEEN")[1][0].split()


@pytest.mark.django_db
def test_unseen_mail_becomes_a_contact_in_the_mailboxs_queue_and_is_marked_seen(imap_server, mailbox, queues, adam):
    append(mailbox, customer_mail("专线中断", "公司专线从早上开始中断", "<m1@example.cn>"))
    append(mailbox, customer_mail("旧邮件", "已经读过的", "<m0@example.cn>"), seen=True)
    account = mailbox_account(imap_server, adam)

    [result] = poll_all()

    assert (result.mailbox, result.fetched, result.stored, result.repeats, result.error) == (
        "政企客服邮箱",
        1,
        1,
        0,
        "",
    )
    contact = Contact.objects.get()
    assert (contact.channel, contact.identity, contact.subject) == ("email", "lisi@example.cn", "专线中断")
    assert QueueEntry.objects.get(contact=contact).queue == queues[1]  # the account's queue, not KEFU_EMAIL_QUEUE
    assert list(InboundItem.objects.values_list("provider", "provider_id", "status")) == [
        ("email", "<m1@example.cn>", "processed")
    ]
    assert unseen(mailbox) == []
    account.refresh_from_db()
    assert account.last_success_at is not None and account.last_error == ""


@pytest.mark.django_db
def test_a_mail_fetched_again_is_a_repeat_and_opens_nothing(imap_server, mailbox, queues, adam):
    append(mailbox, customer_mail("宽带断网", "断网了", "<m2@example.cn>"))
    mailbox_account(imap_server, adam)
    poll_all()
    mailbox.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")  # another mail client marked it unread again

    [result] = poll_all()

    assert (result.fetched, result.stored, result.repeats) == (1, 0, 1)
    assert Contact.objects.count() == 1
    assert InboundItem.objects.count() == 1
    assert unseen(mailbox) == []


@pytest.mark.django_db
def test_a_malformed_mail_becomes_a_dead_letter_and_is_not_fetched_again(imap_server, mailbox, queues, adam):
    append(mailbox, b"Subject: no sender at all\r\n\r\njust text\r\n")
    mailbox_account(imap_server, adam)

    [result] = poll_all()

    assert (result.fetched, result.stored, result.refused) == (1, 1, 0)
    item = InboundItem.objects.get()
    assert (item.provider, item.status, item.error) == ("email", "dead", "MalformedMail: no sender address")
    assert Contact.objects.count() == 0
    assert unseen(mailbox) == []  # not fetched again on every poll
    assert poll_all()[0].fetched == 0


@pytest.mark.django_db
def test_a_refused_login_is_recorded_on_the_account_and_leaves_the_mail_unseen(imap_server, mailbox, queues, adam):
    append(mailbox, customer_mail("账单疑问", "这个月怎么多扣了钱", "<m3@example.cn>"))
    account = mailbox_account(imap_server, adam, password="wrong-password")

    [result] = poll_all()

    assert "AUTHENTICATIONFAILED" in result.error or "Authentication failed" in result.error
    account.refresh_from_db()
    assert account.last_error == result.error and account.last_error_at is not None
    assert account.last_success_at is None
    assert Contact.objects.count() == 0
    assert len(unseen(mailbox)) == 1


@pytest.mark.django_db
def test_the_environment_mailbox_is_polled_when_no_account_exists(imap_server, mailbox, queues, settings):
    settings.KEFU_IMAP_HOST, settings.KEFU_IMAP_PORT, settings.KEFU_IMAP_SECURITY = (
        "127.0.0.1",
        imap_server.port,
        "none",
    )
    settings.KEFU_IMAP_USER, settings.KEFU_IMAP_PASSWORD = USER, PASSWORD
    append(mailbox, customer_mail("机顶盒黑屏", "开机没画面", "<m4@example.cn>"))

    [result] = poll_all()

    assert (result.mailbox, result.stored) == ("KEFU_IMAP", 1)
    assert QueueEntry.objects.get().queue == queues[0]  # KEFU_EMAIL_QUEUE


@pytest.mark.django_db
def test_kefu_imap_poll_once_reports_each_mailbox(imap_server, mailbox, queues, adam, capsys):
    append(mailbox, customer_mail("光猫红灯", "红灯一直闪", "<m5@example.cn>"))
    mailbox_account(imap_server, adam)

    call_command("imap-poll", "--once")

    assert capsys.readouterr().out.strip() == "政企客服邮箱: 1 fetched, 1 new, 0 repeats, 0 refused"
    assert Contact.objects.get().subject == "光猫红灯"


@pytest.mark.django_db
def test_the_worker_polls_only_when_a_mailbox_is_configured(imap_server, queues, adam):
    assert not imap_configured()
    with pytest.raises(CommandError):
        call_command("imap-poll", "--once")

    mailbox_account(imap_server, adam)

    assert imap_configured()
