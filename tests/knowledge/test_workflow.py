"""The review workflow: an editor writes, a supervisor approves; refusals change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.accounts.models import User
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.core.models import AuditEntry
from kefu.knowledge import services
from kefu.knowledge.choices import ArticleStatus
from kefu.knowledge.models import Article, SearchDocument
from tests.desk.conftest import signed_in
from tests.knowledge.conftest import category, write

pytestmark = pytest.mark.django_db


def in_review(kate: User) -> Article:
    article = write("光猫红灯处理", "光猫LOS灯亮红灯表示光信号中断。", actor=kate, category_code="faults-broadband")
    return services.submit_for_review(actor=kate, article=article)


def test_editor_writes_and_supervisor_publishes(kate: User, sara: User) -> None:
    article = in_review(kate)

    services.publish_article(actor=sara, article=article)

    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert article.published_version == article.current_version
    assert article.published_version is not None and article.published_version.published_by == sara
    assert SearchDocument.objects.filter(article=article).exists()
    assert list(
        AuditEntry.objects.filter(object_id=str(article.pk)).order_by("pk").values_list("action", flat=True)
    ) == [
        "knowledge.article_created",
        "knowledge.article_submitted",
        "knowledge.article_published",
    ]


@pytest.mark.parametrize("persona", ["kate", "alice"])
def test_publishing_is_refused_to_a_non_approver_and_changes_nothing(
    persona: str, request: pytest.FixtureRequest, kate: User
) -> None:
    article = in_review(kate)
    actor = request.getfixturevalue(persona)
    audit_rows = AuditEntry.objects.count()

    with pytest.raises(NotAllowed):
        services.publish_article(actor=actor, article=article)

    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW
    assert article.published_version is None
    assert not SearchDocument.objects.filter(article=article).exists()
    assert AuditEntry.objects.count() == audit_rows


def test_publish_button_of_the_desk_refuses_an_editor(kate: User) -> None:
    article = in_review(kate)

    response = signed_in(kate).post(reverse("desk:knowledge_transition", args=[article.code, "publish"]))

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW and article.published_version is None


def test_supervisor_publishes_from_the_desk(kate: User, sara: User) -> None:
    article = in_review(kate)

    response = signed_in(sara).post(reverse("desk:knowledge_transition", args=[article.code, "publish"]))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_an_approver_may_not_approve_their_own_edit(sara: User, kate: User) -> None:
    sara.user_permissions.add(*kate.groups.get().permissions.all())  # a supervisor who also edits
    sara = User.objects.get(pk=sara.pk)
    article = write("自己写的文章", "正文内容。", actor=sara)
    services.submit_for_review(actor=sara, article=article)

    with pytest.raises(NotAllowed):
        services.publish_article(actor=sara, article=article)

    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW


def test_only_drafts_go_to_review_and_only_reviewed_ones_are_published(kate: User, sara: User) -> None:
    article = write("草稿", "正文。", actor=kate)

    with pytest.raises(BusinessRuleError):
        services.publish_article(actor=sara, article=article)
    services.submit_for_review(actor=kate, article=article)
    with pytest.raises(BusinessRuleError):
        services.submit_for_review(actor=kate, article=article)


def test_a_sent_back_article_is_a_draft_with_the_reason(kate: User, sara: User) -> None:
    article = in_review(kate)

    with pytest.raises(BusinessRuleError):
        services.reject_article(actor=sara, article=article, reason="  ")
    services.reject_article(actor=sara, article=article, reason="请补充LOS灯的图片")

    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert article.review_note == "请补充LOS灯的图片"


def test_agents_and_editors_cannot_archive_and_approvers_can(kate: User, alice: User, sara: User) -> None:
    article = in_review(kate)
    services.publish_article(actor=sara, article=article)

    for actor in (kate, alice):
        with pytest.raises(NotAllowed):
            services.archive_article(actor=actor, article=article)
    services.archive_article(actor=sara, article=article, reason="内容过时")

    article.refresh_from_db()
    assert article.status == ArticleStatus.ARCHIVED
    assert article.published_version is None
    assert not SearchDocument.objects.filter(article=article).exists()


def test_agents_cannot_write_articles(alice: User) -> None:
    content = services.ArticleContent(title="标题", body="<p>正文</p>", category=category("services-tv"))

    with pytest.raises(NotAllowed):
        services.create_article(actor=alice, content=content)
    assert Article.objects.count() == 0


def test_the_body_is_stored_as_safe_html(kate: User) -> None:
    article = write("安全", '<script>alert(1)</script>正文<a href="javascript:x" onclick="y">链接</a>', actor=kate)

    version = article.current_version
    assert version is not None
    assert version.body == '<p>正文<a rel="noopener noreferrer">链接</a></p>'
    assert version.body_text == "正文链接"
