"""FAQ entries: plain short answers, internal articles kept back, changes answered at once."""

from __future__ import annotations

import pytest

from kefu.core.errors import BusinessRuleError
from kefu.knowledge import faq, services
from tests.knowledge.conftest import live


@pytest.mark.django_db
def test_an_internal_article_is_never_offered_with_an_answer() -> None:
    internal = live(
        "光猫重置内部口径", "座席指导客户重置光猫的内部流程。", audience="internal", category_code="faults-broadband"
    )
    services.save_faq(
        actor=None,
        code="FAQ-T1",
        content=services.FaqContent(question="光猫怎么恢复出厂设置", short_answer="长按复位键10秒。", article=internal),
    )

    answer = faq.best_answer("光猫怎么恢复出厂设置")

    assert answer is not None and answer.code == "FAQ-T1"
    assert answer.article_code is None


@pytest.mark.django_db
def test_a_new_entry_is_answered_at_once_and_a_retired_one_no_longer() -> None:
    content = services.FaqContent(question="宽带怎么报停", short_answer="可在APP申请报停。", paraphrases=["宽带暂停"])
    entry = services.save_faq(actor=None, code="FAQ-T2", content=content)
    assert faq.best_answer("宽带怎么报停") is not None

    services.save_faq(actor=None, code=entry.code, content=services.FaqContent(**{**vars(content), "is_active": False}))

    assert faq.best_answer("宽带怎么报停") is None


@pytest.mark.django_db
def test_short_answers_are_plain_text_short_enough_for_sms() -> None:
    with pytest.raises(BusinessRuleError):
        services.save_faq(
            actor=None, code="FAQ-T3", content=services.FaqContent(question="问题", short_answer="长" * 301)
        )
    entry = services.save_faq(
        actor=None, code="FAQ-T4", content=services.FaqContent(question="问题", short_answer="<b>拨打</b>96296")
    )
    assert entry.short_answer == "拨打96296"
