#!/usr/bin/env bash
# Runs the whole test suite on the database named by DATABASE_URL (default: SQLite).
# Browser tests need Debian's chromium; as root this installs it when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
# The SMS tests drive Kannel's bearerbox and smsbox with its fake SMSC (Debian kannel, kannel-extras).
if ! command -v bearerbox >/dev/null 2>&1 || [ ! -x /usr/lib/kannel/test/fakesmsc ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's kannel and kannel-extras for the SMS tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel kannel-extras >/dev/null
  else
    echo "The SMS tests need Kannel: sudo apt-get install kannel kannel-extras" >&2
    exit 1
  fi
fi
# The IMAP polling tests run Debian's dovecot (dovecot-imapd) as the customer's mail server.
if [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's dovecot-imapd for the IMAP tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  else
    echo "The IMAP tests need dovecot: sudo apt-get install dovecot-imapd" >&2
    exit 1
  fi
fi
# The voice tests run kamailio (registrar/proxy) and baresip (the caller); espeak-ng reads the prompts.
if ! command -v kamailio >/dev/null 2>&1 || ! command -v baresip >/dev/null 2>&1 || ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's kamailio, baresip and espeak-ng for the voice tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio baresip espeak-ng >/dev/null
  else
    echo "The voice tests need kamailio, baresip and espeak-ng: sudo apt-get install kamailio baresip espeak-ng" >&2
    exit 1
  fi
fi
export KEFU_DATA_DIR="${KEFU_DATA_DIR:-$(mktemp -d /tmp/kefu-test.XXXXXX)}"
echo "Test database: ${DATABASE_URL:-SQLite (embedded default)}"
exec .venv/bin/pytest "$@"
