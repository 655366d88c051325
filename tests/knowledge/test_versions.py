"""Every edit is a version; any two versions can be compared."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from kefu.accounts.models import User
from kefu.core.models import AuditEntry
from kefu.knowledge import diffs, services
from kefu.knowledge.choices import ArticleStatus, Audience
from kefu.knowledge.models import ArticleVersion
from tests.desk.conftest import signed_in
from tests.knowledge.conftest import category, publish, write

pytestmark = pytest.mark.django_db


def edit(actor: User, article, title: str, body: str, **changes: object) -> ArticleVersion:
    content = services.ArticleContent(
        title=title,
        body=body,
        category=changes.pop("category", category("tariffs-broadband")),  # type: ignore[arg-type]
        audience=changes.pop("audience", Audience.PUBLIC),  # type: ignore[arg-type]
        tags=changes.pop("tags", ["宽带"]),  # type: ignore[arg-type]
        valid_until=changes.pop("valid_until", None),  # type: ignore[arg-type]
        note=str(changes.pop("note", "")),
    )
    return services.save_draft(actor=actor, article=article, content=content)


def test_each_saved_edit_is_a_new_version_and_saving_the_same_makes_none(kate: User) -> None:
    article = write("宽带资费", "100M宽带50元/月。", actor=kate, category_code="tariffs-broadband", tags=["宽带"])
    body = "<p>100M宽带50元/月。300M宽带80元/月。</p>"

    second = edit(kate, article, "宽带资费", body, note="加上300M")
    again = edit(kate, article, "宽带资费", body)

    assert (second.number, again.pk) == (2, second.pk)
    assert list(article.versions.order_by("number").values_list("number", "note")) == [(1, ""), (2, "加上300M")]
    edited = AuditEntry.objects.get(action="knowledge.article_edited")
    assert edited.changes["version"] == [1, 2]
    assert "body" in edited.changes


def test_editing_a_published_article_keeps_the_published_version_for_readers(kate: User, sara: User) -> None:
    article = publish(write("宽带资费", "100M宽带50元/月。", actor=kate, category_code="tariffs-broadband"))
    published = article.published_version

    edit(kate, article, "宽带资费（调整）", "<p>100M宽带45元/月。</p>")

    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert article.published_version == published
    assert article.current_version is not None and article.current_version.number == 2


def test_diff_shows_changed_fields_and_changed_sentences(kate: User) -> None:
    article = write(
        "宽带资费",
        "100M宽带50元/月。包年享9折。新装免初装费。",
        actor=kate,
        category_code="tariffs-broadband",
        tags=["宽带"],
    )
    edit(
        kate,
        article,
        "宽带资费说明",
        "<p>100M宽带50元/月。包年享8.5折。新装免初装费。千兆宽带120元/月。</p>",
        valid_until=dt.date(2030, 12, 31),
        tags=["宽带", "包年"],
    )
    older, newer = article.versions.order_by("number")

    with translation.override("en"):
        diff = diffs.diff_versions(older, newer)

    assert [(field.label, field.before, field.after) for field in diff.fields] == [
        ("Title", "宽带资费", "宽带资费说明"),
        ("Tags", "宽带", "宽带、包年"),
        ("Valid until", "—", "2030-12-31"),
    ]
    assert [line.kind for line in diff.lines] == ["same", "changed", "same", "added"]
    assert diff.lines[1].before_html == "包年享<del>9</del>折。"
    assert diff.lines[1].after_html == "包年享<ins>8.5</ins>折。"
    assert diff.lines[3].after_html == "千兆宽带120元/月。"


def test_the_diff_page_compares_two_versions_for_editors(kate: User, alice: User) -> None:
    article = write("宽带资费", "包年享9折。", actor=kate, category_code="tariffs-broadband", tags=["宽带"])
    edit(kate, article, "宽带资费", "<p>包年享8.5折。</p>")
    url = reverse("desk:knowledge_diff", args=[article.code]) + "?from=1&to=2"

    page = signed_in(kate).get(url)

    assert page.status_code == 200
    assert "<del>9</del>" in page.content.decode()
    assert "<ins>8.5</ins>" in page.content.decode()
    assert signed_in(alice).get(url).status_code in {403, 404}


def test_diff_marks_are_escaped(kate: User) -> None:
    lines = diffs.body_lines("价格<5元。", "价格<6元。")

    assert lines[0].before_html == "价格&lt;<del>5</del>元。"
