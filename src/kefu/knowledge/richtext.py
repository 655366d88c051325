"""Article bodies are rich text: kept as safe HTML (nh3), read as plain text by search and diffs."""

from __future__ import annotations

import html
import re

import nh3

# What an article may use: structure, emphasis, tables, links and pictures. No scripts,
# no styles, no event handlers, no forms: the body is shown to customers as it is.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "h3", "h4", "h5", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub",
        "sup", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code", "kbd", "hr", "table", "thead",
        "tbody", "tr", "th", "td", "caption", "a", "img", "span", "div", "figure", "figcaption",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|dt|dd|blockquote|pre|div|figcaption|caption)>|<br\s*/?>|<hr\s*/?>", re.I)
_CELL_END = re.compile(r"</t[dh]>", re.I)
_SPACES = re.compile(r"[ \t\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_body(body: str) -> str:
    """The body as safe HTML: only the tags and attributes above survive."""
    return nh3.clean(
        body,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    ).strip()


def plain_text(body: str) -> str:
    """What a person reads in the body, one paragraph (list item, table row) a line."""
    marked = _CELL_END.sub(" ", _BLOCK_END.sub("\n", body))
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()
