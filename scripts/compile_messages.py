"""Compile every translation catalogue (.po) under src/kefu/locale to .mo, with polib.

Django reads .mo files; compiling them here means neither the servers nor CI need GNU
gettext. Run after editing a .po file and commit both:

    .venv/bin/python scripts/compile_messages.py          # write the .mo files
    .venv/bin/python scripts/compile_messages.py --check  # fail if a .mo is out of date
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "kefu" / "locale"


def compile_catalogue(po_path: Path, mo_path: Path) -> int:
    """Write `mo_path` from `po_path`; returns the number of untranslated or fuzzy entries."""
    catalogue = polib.pofile(str(po_path), wrapwidth=0)
    catalogue.save_as_mofile(str(mo_path))
    return len(catalogue.untranslated_entries()) + len(catalogue.fuzzy_entries())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report .mo files that differ")
    options = parser.parse_args(argv)
    catalogues = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    if not catalogues:
        print(f"no .po files under {LOCALE_DIR}", file=sys.stderr)
        return 1
    stale = []
    for po_path in catalogues:
        mo_path = po_path.with_suffix(".mo")
        if options.check:
            with tempfile.TemporaryDirectory() as scratch:
                fresh = Path(scratch) / mo_path.name
                compile_catalogue(po_path, fresh)
                if not mo_path.exists() or mo_path.read_bytes() != fresh.read_bytes():
                    stale.append(mo_path)
            continue
        missing = compile_catalogue(po_path, mo_path)
        note = f" ({missing} untranslated or fuzzy, left out)" if missing else ""
        print(f"{mo_path.relative_to(LOCALE_DIR.parent.parent.parent)}{note}")
    for mo_path in stale:
        print(f"out of date: {mo_path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
