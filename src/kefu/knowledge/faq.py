"""`best_answer(question)`: the FAQ entry that answers a customer's question, or None.

The chatbot, SMS auto-replies and the IVR ask in the customer's own words. Each FAQ entry
is known by its question, the paraphrases editors gave it and the title, summary and tags
of its article. A question is compared with them as TF-IDF vectors of words (jieba,
synonyms folded) and of character pairs (which survive segmentation differences and small
slips); words no entry knows count against the match, so "南京天气怎么样" is not taken for a
question about 南京's outlets. An entry's score mixes its closest wording, all its wordings
together and its article; the confidence is that score, lowered when a second entry scores
nearly as well. Below `CONFIDENCE_THRESHOLD` there is no answer: a wrong answer by SMS is
worse than handing the customer to an agent.

How the numbers were chosen: the weights by leaving each paraphrase out in turn; the
threshold as the lowest at which a development set of questions
(tests/knowledge/data/dev_questions.json) is answered with at least 85 % precision. The
held-back set (heldback_questions.json) only measures the result.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Max

from kefu.knowledge import text
from kefu.knowledge.models import FaqEntry
from kefu.knowledge.queries import public_articles

CONFIDENCE_THRESHOLD = 0.20
_CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")

Vector = dict[str, float]


@dataclass(frozen=True)
class Weights:
    """How the evidence adds up (chosen by leaving each paraphrase out in turn)."""

    closest: float = 0.3  # the entry's single closest wording
    together: float = 0.3  # all the entry's wordings as one text
    article: float = 0.4  # the title, summary and tags of the entry's article
    bigram: float = 0.5  # character pairs against words (pairs also match across unrelated words)
    margin: float = 0.08  # a runner-up this close makes it a guess: confidence drops by the shortfall


WEIGHTS = Weights()


@dataclass(frozen=True)
class FaqRecord:
    """An FAQ entry as the matcher sees it; `context` is what its article says about itself."""

    entry_id: int
    code: str
    question: str
    paraphrases: tuple[str, ...]
    context: str = ""


@dataclass(frozen=True)
class FaqAnswer:
    entry_id: int
    code: str
    question: str
    short_answer: str
    article_code: str | None  # the full public article, when there is one
    confidence: float
    matched_wording: str


@dataclass(frozen=True)
class Scored:
    record: FaqRecord
    score: float
    wording: str


def features(sentence: str) -> Counter[str]:
    """Words (synonyms folded, stop words out) and the character pairs inside what is left."""
    words = text.query_words(sentence)
    found: Counter[str] = Counter(f"w:{word}" for word in words)
    for run in _CHINESE_RUN.findall(" ".join(words)):
        for index in range(len(run) - 1):
            found[f"c:{run[index : index + 2]}"] += 1
    return found


def _normalised(vector: Vector) -> Vector:
    length = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / length for key, value in vector.items()} if length else {}


def _cosine(left: Vector, right: Vector) -> float:
    if len(left) > len(right):
        left, right = right, left
    return sum(value * right.get(key, 0.0) for key, value in left.items())


class FaqIndex:
    """The vectors of every wording of every entry; built once per change of the FAQ."""

    def __init__(self, records: Sequence[FaqRecord], weights: Weights = WEIGHTS) -> None:
        self.records = list(records)
        self.weights = weights
        self.wordings = [[record.question, *record.paraphrases] for record in self.records]
        self._counted = [[features(wording) for wording in group] for group in self.wordings]
        contexts = [features(record.context) for record in self.records]
        document_frequency: Counter[str] = Counter()
        for group, context in zip(self._counted, contexts, strict=True):
            document_frequency.update({feature for found in group for feature in found} | set(context))
        total = max(len(self.records), 1)
        self.idf = {feature: math.log((1 + total) / (1 + seen)) + 1.0 for feature, seen in document_frequency.items()}
        self.unknown_idf = math.log(1 + total) + 1.0
        self.vectors = [[self.vector(found) for found in group] for group in self._counted]
        self.together = [self.vector(sum(group, Counter())) for group in self._counted]
        self.contexts = [self.vector(context) for context in contexts]

    def vector(self, found: Counter[str]) -> Vector:
        """TF-IDF weights; a word no entry knows gets the weight of the rarest word.

        So "南京天气怎么样" is not read as "南京": what the FAQ does not cover counts against it.
        """
        bigram = self.weights.bigram
        return _normalised(
            {
                feature: (1 + math.log(count))
                * self.idf.get(feature, self.unknown_idf)
                * (bigram if feature.startswith("c:") else 1.0)
                for feature, count in found.items()
            }
        )

    def ranked(self, question: str, *, leave_out: tuple[int, int] | None = None) -> list[Scored]:
        """Every entry scored for the question, best first. `leave_out` (entry, wording) is for tuning."""
        query = self.vector(features(question))
        if not query:
            return []
        weights = self.weights
        scored: list[Scored] = []
        for index, record in enumerate(self.records):
            positions = list(range(len(self.wordings[index])))
            together = self.together[index]
            if leave_out is not None and leave_out[0] == index:
                positions.remove(leave_out[1])
                together = self.vector(sum((self._counted[index][p] for p in positions), Counter()))
            if not positions:
                continue
            best = max(positions, key=lambda position: _cosine(query, self.vectors[index][position]))
            score = (
                weights.closest * _cosine(query, self.vectors[index][best])
                + weights.together * _cosine(query, together)
                + weights.article * _cosine(query, self.contexts[index])
            )
            scored.append(Scored(record, score, self.wordings[index][best]))
        scored.sort(key=lambda item: item.score, reverse=True)
        return scored

    def best(self, question: str, *, leave_out: tuple[int, int] | None = None) -> tuple[Scored, float] | None:
        """The best entry and its confidence (None when nothing matches at all)."""
        ranked = self.ranked(question, leave_out=leave_out)
        if not ranked or ranked[0].score <= 0:
            return None
        top = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        confidence = top.score - max(0.0, self.weights.margin - (top.score - runner_up))
        return top, round(max(confidence, 0.0), 4)


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, object, object, object], FaqIndex]] = {}


def _context(entry: FaqEntry) -> str:
    article = entry.article
    version = article.published_version if article is not None else None
    if version is None:
        return ""
    return " ".join([version.title, version.summary, *version.tags])


def _records(entries: Iterable[FaqEntry]) -> list[FaqRecord]:
    return [
        FaqRecord(entry.pk, entry.code, entry.question, tuple(str(p) for p in entry.paraphrases), _context(entry))
        for entry in entries
    ]


def current_index() -> FaqIndex:
    """The index of the active entries, rebuilt when an entry was added, changed or retired."""
    active = FaqEntry.objects.filter(is_active=True)
    state = active.aggregate(
        count=Count("id"), last=Max("id"), changed=Max("updated_at"), articles=Max("article__published_at")
    )
    key = (int(state["count"]), state["last"], state["changed"], state["articles"])
    with _cache_lock:
        cached = _cache.get("index")
        if cached is not None and cached[0] == key:
            return cached[1]
    index = FaqIndex(_records(active.select_related("article__published_version").order_by("code")))
    with _cache_lock:
        _cache["index"] = (key, index)
    return index


def best_answer(question: str, *, threshold: float = CONFIDENCE_THRESHOLD) -> FaqAnswer | None:
    """The FAQ answer to a customer's question with its confidence (0–1), or None below the threshold."""
    if not question.strip():
        return None
    found = current_index().best(question)
    if found is None:
        return None
    top, confidence = found
    if confidence < threshold:
        return None
    entry = FaqEntry.objects.get(pk=top.record.entry_id)
    article_code = (
        public_articles().filter(pk=entry.article_id).values_list("code", flat=True).first()
        if entry.article_id
        else None
    )
    return FaqAnswer(
        entry_id=entry.pk,
        code=entry.code,
        question=entry.question,
        short_answer=entry.short_answer,
        article_code=article_code,
        confidence=confidence,
        matched_wording=top.wording,
    )
