"""What changed between two versions of an article: the fields, and the body sentence by sentence."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kefu.knowledge.models import ArticleVersion

# A Chinese paragraph is one long line; sentences make a readable diff.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
# Two sentences this alike are one sentence changed, not one removed and another added.
SIMILAR = 0.5


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffLine:
    """One sentence of the body: the same, added, removed, or changed (with the changed characters marked)."""

    kind: str  # "same" | "added" | "removed" | "changed"
    before_html: SafeString
    after_html: SafeString


@dataclass(frozen=True)
class VersionDiff:
    older: ArticleVersion
    newer: ArticleVersion
    fields: list[FieldChange]
    lines: list[DiffLine]

    @property
    def has_changes(self) -> bool:
        return bool(self.fields) or any(line.kind != "same" for line in self.lines)


def sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for line in text.splitlines():
        pieces.extend(piece.strip() for piece in _SENTENCE_END.split(line) if piece.strip())
    return pieces


def _characters(before: str, after: str) -> tuple[SafeString, SafeString]:
    old_parts: list[str] = []
    new_parts: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, a1, a2, b1, b2 in matcher.get_opcodes():
        old, new = escape(before[a1:a2]), escape(after[b1:b2])
        if operation == "equal":
            old_parts.append(old)
            new_parts.append(new)
            continue
        if old:
            old_parts.append(f"<del>{old}</del>")
        if new:
            new_parts.append(f"<ins>{new}</ins>")
    # Every piece was escaped above; only our own <del>/<ins> are markup.
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))  # noqa: S308


def body_lines(before: str, after: str) -> list[DiffLine]:
    old, new = sentences(before), sentences(after)
    lines: list[DiffLine] = []
    empty = mark_safe("")
    for operation, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if operation == "equal":
            lines.extend(DiffLine("same", escape(line), escape(line)) for line in old[a1:a2])
        elif operation == "delete":
            lines.extend(DiffLine("removed", escape(line), empty) for line in old[a1:a2])
        elif operation == "insert":
            lines.extend(DiffLine("added", empty, escape(line)) for line in new[b1:b2])
        else:
            lines.extend(_replaced(old[a1:a2], new[b1:b2]))
    return lines


def _replaced(old: list[str], new: list[str]) -> list[DiffLine]:
    """Pair each old sentence with the next new one that resembles it; the rest are removed or added."""
    empty = mark_safe("")
    lines: list[DiffLine] = []
    start = 0
    for sentence in old:
        match = next(
            (
                position
                for position in range(start, len(new))
                if difflib.SequenceMatcher(None, sentence, new[position], autojunk=False).ratio() >= SIMILAR
            ),
            None,
        )
        if match is None:
            lines.append(DiffLine("removed", escape(sentence), empty))
            continue
        lines.extend(DiffLine("added", empty, escape(line)) for line in new[start:match])
        lines.append(DiffLine("changed", *_characters(sentence, new[match])))
        start = match + 1
    lines.extend(DiffLine("added", empty, escape(line)) for line in new[start:])
    return lines


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def diff_versions(older: ArticleVersion, newer: ArticleVersion) -> VersionDiff:
    compared = (
        (_("Title"), older.title, newer.title),
        (_("Summary"), older.summary, newer.summary),
        (_("Category"), str(older.category), str(newer.category)),
        (_("Audience"), older.get_audience_display(), newer.get_audience_display()),
        (_("Tags"), older.tags, newer.tags),
        (_("Valid from"), older.valid_from, newer.valid_from),
        (_("Valid until"), older.valid_until, newer.valid_until),
    )
    fields = [
        FieldChange(str(label), _shown(before), _shown(after)) for label, before, after in compared if before != after
    ]
    return VersionDiff(older=older, newer=newer, fields=fields, lines=body_lines(older.body_text, newer.body_text))
