"""The knowledge pages of the desk: who may open them and what they show."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.knowledge.choices import WalkthroughOutcome
from kefu.knowledge.models import GuideWalkthrough
from tests.desk.conftest import signed_in
from tests.knowledge.conftest import Library

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(library: Library) -> None:
    for url in (reverse("desk:knowledge_search"), reverse("desk:knowledge_article", args=[library.stb_no_signal.code])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_search_page_shows_highlighted_results_and_filters(library: Library, alice: User) -> None:
    page = signed_in(alice).get(reverse("desk:knowledge_search"), {"q": "盒子黑屏"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "电视<mark>黑屏</mark>排查" in html
    assert 'name="category"' in html and 'name="audience"' in html and 'name="include_out_of_date"' in html


def test_htmx_asks_for_the_results_alone(library: Library, alice: User) -> None:
    page = signed_in(alice).get(reverse("desk:knowledge_search"), {"q": "机顶盒"}, HTTP_HX_REQUEST="true")

    assert page.templates[0].name == "desk/knowledge/_results.html"
    assert library.internal_codes.code in page.content.decode()


def test_article_page_shows_the_published_version_to_agents(library: Library, alice: User) -> None:
    page = signed_in(alice).get(reverse("desk:knowledge_article", args=[library.stb_no_signal.code]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "机顶盒无信号怎么处理" in html
    assert 'id="kb-solved"' in html
    assert 'id="kb-workflow"' not in html  # agents do not review


def test_agents_cannot_open_drafts_or_the_editors_pages(library: Library, alice: User) -> None:
    agent = signed_in(alice)

    assert agent.get(reverse("desk:knowledge_article", args=[library.draft.code])).status_code == 404
    assert agent.get(reverse("desk:knowledge_editor")).status_code == 403
    assert agent.get(reverse("desk:knowledge_new")).status_code == 403


def test_editor_writes_a_draft_and_sees_its_versions(kate: User) -> None:
    editor = signed_in(kate)
    category_id = (
        editor.get(reverse("desk:knowledge_new")).context["form"].fields["category"].queryset.get(code="faults-tv").pk
    )

    response = editor.post(
        reverse("desk:knowledge_new"),
        {
            "title": "遥控器配对",
            "category": category_id,
            "audience": "public",
            "tags": "遥控器，配对",
            "body": "<p>同时按住返回和主页键。</p>",
        },
    )

    assert response.status_code == 302
    page = editor.get(response["Location"])
    html = page.content.decode()
    assert "遥控器配对" in html and 'id="kb-versions"' in html and "v1" in html
    assert page.context["version"].tags == ["遥控器", "配对"]


def test_editor_page_lists_articles_in_review(library: Library, kate: User) -> None:
    page = signed_in(kate).get(reverse("desk:knowledge_editor"), {"status": "draft"})

    assert page.status_code == 200
    assert library.draft.code in page.content.decode()


def test_agent_walks_a_guide_to_a_repair_order(alice: User, db: None) -> None:
    from tests.knowledge.test_guides import guide

    agent = signed_in(alice)
    started = agent.post(reverse("desk:knowledge_guide_start", args=[guide().code]), {"contact": "C-9"})
    walk = GuideWalkthrough.objects.get()
    assert started["Location"] == reverse("desk:knowledge_walk", args=[walk.pk])

    agent.post(reverse("desk:knowledge_walk_step", args=[walk.pk, "answer"]), {"answer": "1"})
    page = agent.get(started["Location"])

    walk.refresh_from_db()
    assert walk.outcome == WalkthroughOutcome.ORDER_NEEDED
    assert "FAULT_DTV" in page.content.decode()


def test_suggestions_from_a_contacts_text(library: Library, alice: User) -> None:
    page = signed_in(alice).get(reverse("desk:knowledge_suggest"), {"text": "家里的盒子黑屏了", "contact": "C-5"})

    assert page.status_code == 200
    assert f"/knowledge/articles/{library.stb_black_screen.code}/?contact=C-5" in page.content.decode()


def test_the_nav_item_is_enabled_for_readers(alice: User) -> None:
    page = signed_in(alice).get(reverse("desk:knowledge_search"))

    assert f'href="{reverse("desk:knowledge_search")}"' in page.content.decode()


def test_editor_attaches_a_file_and_readers_download_it(
    library: Library, kate: User, alice: User, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    article = library.stb_no_signal
    upload = SimpleUploadedFile("接线图.pdf", b"%PDF-1.4 test", content_type="application/pdf")

    response = signed_in(kate).post(reverse("desk:knowledge_attach", args=[article.code]), {"file": upload})

    assert response.status_code == 302
    attachment = article.attachments.get()
    download = signed_in(alice).get(reverse("desk:knowledge_attachment", args=[article.code, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"  # type: ignore[attr-defined]
    script = SimpleUploadedFile("x.html", b"<script>", content_type="text/html")
    refused = signed_in(kate).post(reverse("desk:knowledge_attach", args=[article.code]), {"file": script})
    assert refused.status_code == 409
    assert article.attachments.count() == 1


def test_the_agent_desktop_box_asks_for_suggestions_from_the_contact_text(alice: User) -> None:
    from django.template.loader import render_to_string

    html = render_to_string(
        "desk/knowledge/_box.html", {"contact_text": "盒子黑屏了", "contact_reference": "C-5", "perms": {}}
    )

    assert 'hx-get="/knowledge/suggest/?contact=C-5&amp;text=%E7%9B%92' in html
    assert 'id="kb-q"' in html
