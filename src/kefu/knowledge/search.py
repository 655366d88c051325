"""Knowledge search: one service over PostgreSQL full-text (GIN) and SQLite FTS5.

Both databases index the same segmented words (`text.index_words`) of each live article's
title (weighted most), tags and body, kept in `SearchDocument`. A question is cut the same
way (`text.query_words`) into slots; an article must match every slot (a slot accepts a word
or its typo corrections), ranked by the database (ts_rank on PostgreSQL, bm25 on SQLite).
When no article has every word, the articles with most of them are returned instead. Names
typed wrongly (畅想套餐, 鼓搂营业厅) are also looked for by their sound (`parse_query`). At most
RANK_WINDOW matches are ranked, which only a very common word reaches.

Readers: customers see only public articles valid today; staff may also see internal ones
and, when they ask, articles out of their validity window. Drafts and archived articles are
never in the index.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kefu.knowledge import text
from kefu.knowledge.choices import ArticleStatus, Audience
from kefu.knowledge.models import Article, ArticleVersion, SearchDocument, SearchTerm

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SNIPPET_CHARACTERS = 120
SNIPPET_LEAD = 30
# Typo corrections offered for one word; more would flood the query with look-alikes.
MAX_CORRECTIONS = 3
# When any word may match, this many candidates per hit are ranked by how many words they have.
OR_CANDIDATES = 5
# bm25 weights of the FTS5 columns title, tags, body (ts_rank uses the A/B/C weights).
_FTS5_WEIGHTS = "10.0, 4.0, 1.0"
_SQLITE_TABLE = "knowledge_search_fts"
# The databases rank at most this many matches: on SQLite the most recently indexed, on
# PostgreSQL the first its index finds. Only a question of one or two very common words
# matches more (宽带 in half of 100,000 articles); ranking all of those costs more than an
# agent may wait, and the best of 1,000 such articles answer as well. Anything narrower is
# ranked completely.
RANK_WINDOW = 1_000


@dataclass(frozen=True)
class SearchFilters:
    """What the reader narrowed the search to. `audience` None: every audience they may see."""

    category_ids: tuple[int, ...] = ()
    audience: str | None = None
    include_out_of_date: bool = False


@dataclass(frozen=True)
class Slot:
    """One word of the question and the words accepted in its place (typo corrections)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    slots: tuple[Slot, ...]
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def words(self) -> list[str]:
        return [word for slot in self.slots for word in slot.words]


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    code: str
    title: str
    title_html: SafeString
    snippet_html: SafeString
    category: str
    audience: str
    tags: list[str]
    valid_until: dt.date | None
    is_out_of_date: bool
    score: float


@dataclass(frozen=True)
class SearchResults:
    text: str
    hits: list[SearchHit]
    words: list[str]
    corrections: dict[str, str]
    matched_every_word: bool

    @property
    def found_nothing(self) -> bool:
        return not self.hits


# --- Indexing -------------------------------------------------------------------------------
def document_for(article: Article, version: ArticleVersion) -> SearchDocument:
    """The index row of an article's published version (not saved)."""
    return SearchDocument(
        article=article,
        title_terms=" ".join(text.index_words(version.title)),
        tag_terms=" ".join(text.index_words(" ".join(version.tags))),
        body_terms=" ".join(text.index_words(f"{version.summary}\n{version.body_text}")),
        category_id=version.category_id,
        audience=version.audience,
        valid_from=version.valid_from,
        valid_until=version.valid_until,
    )


def name_terms(versions: Iterable[ArticleVersion]) -> list[SearchTerm]:
    """Title and tag words (≥2 characters) with their sound, for typo corrections."""
    seen: dict[str, SearchTerm] = {}
    for version in versions:
        for word in text.index_words(" ".join([version.title, *version.tags])):
            if len(word) >= 2 and word not in seen and len(word) <= 64:
                seen[word] = SearchTerm(term=word, sound=text.sound_of(word)[:200])
    return list(seen.values())


def index_article(article: Article) -> None:
    """Put the article's published version in the index, or take it out when nothing is live."""
    version = article.published_version
    if version is None or article.status == ArticleStatus.ARCHIVED:
        remove_from_index(article)
        return
    document = document_for(article, version)
    SearchDocument.objects.update_or_create(
        article=article,
        defaults={
            name: getattr(document, name)
            for name in (
                "title_terms",
                "tag_terms",
                "body_terms",
                "category_id",
                "audience",
                "valid_from",
                "valid_until",
            )
        },
    )
    SearchTerm.objects.bulk_create(name_terms([version]), ignore_conflicts=True)


def remove_from_index(article: Article) -> None:
    SearchDocument.objects.filter(article=article).delete()


# --- Reading the question ---------------------------------------------------------------------
# A mistyped name is often cut into several words (鼓搂营业厅 → 鼓/搂/营业厅, 畅想套餐 → 畅想/套餐):
# runs of up to this many words are also tried as one name.
MAX_NAME_WORDS = 3


def parse_query(question: str) -> ParsedQuery:
    """The slots of a question, with names corrected by sound where the words are not known names.

    畅想套餐 → [畅享套餐]; 鼓搂营业厅 → [鼓楼] [营业厅]; 光毛 → [光猫]. Known names are title
    and tag words of live articles (SearchTerm). Single characters count only when the
    question has nothing longer.
    """
    words = text.query_words(question)
    windows = {
        "".join(words[start : start + size])
        for size in range(1, MAX_NAME_WORDS + 1)
        for start in range(len(words) - size + 1)
    }
    candidates = {window for window in windows if len(window) >= 2}
    if not candidates:
        return ParsedQuery(slots=tuple(Slot((word,)) for word in words))
    sounds = {candidate: text.sound_of(candidate) for candidate in candidates}
    by_sound: dict[str, list[str]] = {}
    known: set[str] = set()
    lookup = Q(term__in=candidates) | Q(sound__in=set(sounds.values()))
    for term, sound in SearchTerm.objects.filter(lookup).values_list("term", "sound"):
        by_sound.setdefault(sound, []).append(term)
        if term in candidates:
            known.add(term)

    def corrections_for(written: str) -> list[str]:
        found = sorted((term for term in by_sound.get(sounds[written], []) if term != written), key=len)
        return ([term for term in found if len(term) == len(written)] or found)[:MAX_CORRECTIONS]

    slots: list[Slot] = []
    corrections: dict[str, str] = {}
    index = 0
    while index < len(words):
        for size in range(min(MAX_NAME_WORDS, len(words) - index), 1, -1):
            window = words[index : index + size]
            joined = "".join(window)
            if joined in known or all(word in known for word in window):
                continue
            fixed = corrections_for(joined)
            if fixed:
                corrections[joined] = fixed[0]
                slots.append(Slot(tuple(fixed)))
                index += size
                break
        else:
            word = words[index]
            if len(word) >= 2:
                fixed = [] if word in known else corrections_for(word)
                if fixed:
                    corrections[word] = fixed[0]
                slots.append(Slot((word, *fixed)))
            index += 1
    if not slots:  # only single characters, none of them part of a mistyped name
        slots = [Slot((word,)) for word in words]
    return ParsedQuery(slots=tuple(slots), corrections=corrections)


# --- The two engines ---------------------------------------------------------------------------
def _window(filters: SearchFilters, public_only: bool, today: dt.date) -> tuple[str, list[Any]]:
    """SQL conditions on the index row `d` for audience, category and validity."""
    conditions: list[str] = []
    params: list[Any] = []
    if public_only:
        audiences = [Audience.PUBLIC.value]
    elif filters.audience:
        audiences = [filters.audience]
    else:
        audiences = [Audience.PUBLIC.value, Audience.INTERNAL.value]
    conditions.append(f"d.audience IN ({', '.join(['%s'] * len(audiences))})")
    params.extend(audiences)
    if filters.category_ids:
        conditions.append(f"d.category_id IN ({', '.join(['%s'] * len(filters.category_ids))})")
        params.extend(filters.category_ids)
    if public_only or not filters.include_out_of_date:
        conditions.append(
            "(d.valid_from IS NULL OR d.valid_from <= %s) AND (d.valid_until IS NULL OR d.valid_until >= %s)"
        )
        params.extend([today, today])
    return " AND ".join(conditions), params


def _postgres_ranked(
    slots: Sequence[Slot], every_word: bool, where: str, params: list[Any], limit: int
) -> list[tuple[int, float]]:
    joiner = " & " if every_word else " | "
    tsquery = joiner.join("(" + " | ".join(f"'{word}'" for word in slot.words) + ")" for slot in slots)
    # `where` holds only our own conditions with %s placeholders; every value is a parameter.
    # The window takes the first RANK_WINDOW matches the index finds (ordering them first would
    # visit every match) as narrow rows, and only their tsvectors are read again for ranking.
    # The query is written out, not in a CTE, so the planner sees how common its words are.
    sql = (
        "SELECT d.article_id, ts_rank(d.document, to_tsquery('simple', %s), 1) AS score FROM ("  # noqa: S608
        "  SELECT d.id FROM knowledge_searchdocument d"
        f" WHERE d.document @@ to_tsquery('simple', %s) AND {where} LIMIT %s"
        ") w JOIN knowledge_searchdocument d ON d.id = w.id ORDER BY score DESC, d.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, tsquery, *params, RANK_WINDOW, limit])
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def _sqlite_ranked(
    slots: Sequence[Slot], every_word: bool, where: str, params: list[Any], limit: int
) -> list[tuple[int, float]]:
    joiner = " AND " if every_word else " OR "
    match = joiner.join("(" + " OR ".join(f'"{word}"' for word in slot.words) + ")" for slot in slots)
    # Table name, weights and `where` are our own constants and placeholders; values are parameters.
    sql = (
        "SELECT article_id, score FROM ("  # noqa: S608
        f"  SELECT f.rowid AS document_id, d.article_id, bm25({_SQLITE_TABLE}, {_FTS5_WEIGHTS}) AS score"
        f"  FROM {_SQLITE_TABLE} f JOIN knowledge_searchdocument d ON d.id = f.rowid"
        f"  WHERE {_SQLITE_TABLE} MATCH %s AND {where} ORDER BY f.rowid DESC LIMIT %s"
        ") ORDER BY score, document_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, RANK_WINDOW, limit])
        # bm25 is lower for better matches; turn it round so a higher score is better everywhere.
        return [(int(row[0]), -float(row[1])) for row in cursor.fetchall()]


def ranked_article_ids(
    query: ParsedQuery,
    filters: SearchFilters,
    *,
    public_only: bool,
    limit: int,
    every_word: bool = True,
    today: dt.date | None = None,
) -> list[tuple[int, float]]:
    """(article id, score) of the best matches, best first, from the database's full-text index."""
    if not query.slots:
        return []
    where, params = _window(filters, public_only, today or timezone.localdate())
    engine = _postgres_ranked if connection.vendor == "postgresql" else _sqlite_ranked
    if every_word or len(query.slots) == 1:
        return engine(query.slots, every_word, where, params, limit)
    # Any word may match: an article with more of the question's words comes first, then the
    # engine's score decides (ts_rank has no notion of how rare a word is, bm25 has).
    candidates = engine(query.slots, every_word, where, params, min(limit * OR_CANDIDATES, MAX_LIMIT * 2))
    coverage = _coverage(query.slots, [article_id for article_id, _ in candidates])
    candidates.sort(key=lambda item: (coverage.get(item[0], 0), item[1]), reverse=True)
    return candidates[:limit]


def _coverage(slots: Sequence[Slot], article_ids: list[int]) -> dict[int, int]:
    """How many of the slots each article's indexed words answer."""
    found: dict[int, int] = {}
    rows = SearchDocument.objects.filter(article_id__in=article_ids).values_list(
        "article_id", "title_terms", "tag_terms", "body_terms"
    )
    for article_id, *columns in rows:
        words = set(" ".join(columns).split())
        found[article_id] = sum(1 for slot in slots if words.intersection(slot.words))
    return found


# --- Highlighting ------------------------------------------------------------------------------
def highlight_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for every way of writing the question's words (synonyms included), longest first."""
    forms = {form for word in words for form in text.surface_forms(word)}
    longer = {form for form in forms if len(form) >= 2}
    chosen = longer or forms
    if not chosen:
        return None
    return re.compile("|".join(re.escape(form) for form in sorted(chosen, key=len, reverse=True)), re.IGNORECASE)


def highlight(value: str, pattern: re.Pattern[str] | None) -> SafeString:
    """`value` escaped, with every match wrapped in <mark>."""
    if pattern is None:
        return escape(value)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(value):
        parts.append(escape(value[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(value[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped above


def snippet(body_text: str, pattern: re.Pattern[str] | None, length: int = SNIPPET_CHARACTERS) -> SafeString:
    """About `length` characters of the body around the first match, highlighted."""
    flat = " ".join(body_text.split())
    found = pattern.search(flat) if pattern else None
    start = max(0, found.start() - SNIPPET_LEAD) if found else 0
    piece = flat[start : start + length]
    lead = "…" if start > 0 else ""
    tail = "…" if start + length < len(flat) else ""
    return mark_safe(f"{lead}{highlight(piece, pattern)}{tail}")  # noqa: S308 - highlight() escaped it


# --- The service -----------------------------------------------------------------------------
def search_articles(
    question: str,
    *,
    public_only: bool,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    today: dt.date | None = None,
) -> SearchResults:
    """The live articles that answer `question`, best first, with highlighted titles and snippets.

    `public_only`: the reader is a customer (portal, chatbot, public API): public articles
    valid today only, whatever the filters say.
    """
    filters = filters or SearchFilters()
    today = today or timezone.localdate()
    limit = max(1, min(limit, MAX_LIMIT))
    query = parse_query(question)
    matched_every_word = True
    ranked = ranked_article_ids(query, filters, public_only=public_only, limit=limit, today=today)
    if not ranked and len(query.slots) > 1:
        matched_every_word = False
        ranked = ranked_article_ids(query, filters, public_only=public_only, limit=limit, every_word=False, today=today)
    hits = _hits(ranked, query, public_only=public_only, today=today)
    return SearchResults(
        text=question,
        hits=hits,
        words=query.words,
        corrections=query.corrections,
        matched_every_word=matched_every_word,
    )


_HIT_FIELDS = (
    "pk",
    "code",
    "published_version__title",
    "published_version__summary",
    "published_version__body_text",
    "published_version__audience",
    "published_version__tags",
    "published_version__valid_from",
    "published_version__valid_until",
    "published_version__category__name",
    "published_version__category__parent__name",
)


def _hits(ranked: list[tuple[int, float]], query: ParsedQuery, *, public_only: bool, today: dt.date) -> list[SearchHit]:
    if not ranked:
        return []
    articles = Article.objects.filter(
        pk__in=[article_id for article_id, _ in ranked], published_version__isnull=False
    ).exclude(status=ArticleStatus.ARCHIVED)
    if public_only:  # the index already says so; a second lock on the door costs nothing here
        articles = articles.filter(published_version__audience=Audience.PUBLIC)
    # Plain rows rather than models: this runs on every keystroke of the agent's search box.
    by_id = {row[0]: row for row in articles.values_list(*_HIT_FIELDS)}
    pattern = highlight_pattern(query.words)
    hits: list[SearchHit] = []
    for article_id, score in ranked:
        row = by_id.get(article_id)
        if row is None:
            continue
        _, code, title, summary, body_text, audience, tags, valid_from, valid_until, category, parent = row
        out_of_date = not is_valid_between(valid_from, valid_until, today)
        if public_only and out_of_date:
            continue
        source = body_text if pattern is not None and pattern.search(body_text) else (summary or body_text)
        hits.append(
            SearchHit(
                article_id=article_id,
                code=code,
                title=title,
                title_html=highlight(title, pattern),
                snippet_html=snippet(source, pattern),
                category=f"{parent} / {category}" if parent else category,
                audience=audience,
                tags=list(tags),
                valid_until=valid_until,
                is_out_of_date=out_of_date,
                score=round(score, 6),
            )
        )
    return hits


def is_valid_between(valid_from: dt.date | None, valid_until: dt.date | None, day: dt.date) -> bool:
    return (valid_from is None or valid_from <= day) and (valid_until is None or valid_until >= day)


def is_valid_on(version: ArticleVersion, day: dt.date) -> bool:
    return is_valid_between(version.valid_from, version.valid_until, day)


SUGGESTION_WORDS = 12


def suggest_articles(contact_text: str, *, limit: int = 5, today: dt.date | None = None) -> list[SearchHit]:
    """Articles for the agent from what the customer said or wrote (any of its words, best first).

    A customer's message is long and chatty; requiring every word would find nothing, so the
    words (the longer ones first, at most SUGGESTION_WORDS) are alternatives and the ranking
    decides. Staff-only: internal articles are suggested too.
    """
    words = [word for word in text.query_words(contact_text) if len(word) >= 2 or not text.is_chinese(word)]
    chosen = sorted(words, key=len, reverse=True)[:SUGGESTION_WORDS]
    if not chosen:
        return []
    query = ParsedQuery(slots=tuple(Slot((word,)) for word in chosen))
    day = today or timezone.localdate()
    ranked = ranked_article_ids(query, SearchFilters(), public_only=False, limit=limit, every_word=False, today=day)
    return _hits(ranked, query, public_only=False, today=day)
