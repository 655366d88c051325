#!/usr/bin/env bash
# One command from a fresh clone to a running demo: venv, install, migrate, demo data, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh runtime
exec .venv/bin/kefu demo "$@"
