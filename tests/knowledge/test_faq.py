"""best_answer: the right FAQ entry for questions it has never seen, or none rather than a guess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.knowledge import faq
from kefu.knowledge.models import FaqEntry

DATA = Path(__file__).parent / "data"
# The acceptance bar of issue 6, and what the demo FAQ reaches today (tests/knowledge/README).
MIN_PRECISION_AT_1 = 0.80
MIN_SHARE_ANSWERED = 0.70
MAX_OUT_OF_SCOPE_ANSWERED = 0.10


def questions(name: str) -> list[dict[str, str | None]]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["questions"]  # type: ignore[no-any-return]


def evaluate(name: str) -> dict[str, float]:
    rows = questions(name)
    in_scope = [row for row in rows if row["expected"]]
    out_of_scope = [row for row in rows if not row["expected"]]
    answered = right = 0
    for row in in_scope:
        answer = faq.best_answer(str(row["q"]))
        if answer is not None:
            answered += 1
            right += answer.code == row["expected"]
    stray = sum(faq.best_answer(str(row["q"])) is not None for row in out_of_scope)
    return {
        "questions": len(rows),
        "precision_at_1": (right / (answered + stray)) if answered + stray else 0.0,
        "share_answered": answered / len(in_scope),
        "out_of_scope_answered": stray / len(out_of_scope),
    }


@pytest.mark.usefixtures("demo_content")
@pytest.mark.django_db
class TestOnTheDemoFaq:
    def test_held_back_questions_are_at_least_100_and_not_paraphrases(self) -> None:
        rows = questions("heldback_questions.json")
        known = {wording for entry in FaqEntry.objects.all() for wording in [entry.question, *entry.paraphrases]}

        assert len(rows) >= 100
        assert sum(1 for row in rows if row["expected"]) >= 100
        assert not [row["q"] for row in rows if row["q"] in known]
        assert {row["expected"] for row in rows if row["expected"]} <= set(
            FaqEntry.objects.values_list("code", flat=True)
        )

    def test_precision_at_1_and_share_answered_on_the_held_back_set(self) -> None:
        result = evaluate("heldback_questions.json")
        print(f"\nbest_answer on the held-back set: {result}")  # the numbers for the issue note

        assert result["precision_at_1"] >= MIN_PRECISION_AT_1
        assert result["share_answered"] >= MIN_SHARE_ANSWERED
        assert result["out_of_scope_answered"] <= MAX_OUT_OF_SCOPE_ANSWERED

    def test_a_known_question_is_answered_with_its_short_answer_and_public_article(self) -> None:
        answer = faq.best_answer("机顶盒没信号电视黑屏了怎么办")

        assert answer is not None
        assert answer.code == "FAQ-064"
        assert answer.short_answer.startswith("请检查机顶盒电源和信号线")
        assert answer.article_code == "KB-FTV-01"
        assert faq.CONFIDENCE_THRESHOLD <= answer.confidence <= 1.0

    def test_below_the_threshold_there_is_no_answer_rather_than_a_guess(self) -> None:
        question = "机顶盒没信号电视黑屏了怎么办"
        found = faq.current_index().best(question)
        assert found is not None
        confidence = found[1]

        assert faq.best_answer(question, threshold=confidence + 0.01) is None
        assert faq.best_answer("股票今天涨了吗") is None
        assert faq.best_answer("   ") is None
