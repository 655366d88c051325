"""Chinese search: words not substrings, synonyms, ranking, highlighting, filters, typos."""

from __future__ import annotations

import pytest
from django.db import connection

from kefu.knowledge import search, text
from kefu.knowledge.choices import Audience
from kefu.knowledge.models import SearchDocument
from tests.knowledge.conftest import Library, category, live

pytestmark = pytest.mark.django_db


def codes(question: str, **options: object) -> list[str]:
    results = search.search_articles(question, public_only=options.pop("public_only", False), **options)  # type: ignore[arg-type]
    return [hit.code for hit in results.hits]


def test_question_is_cut_into_telecom_words_with_synonyms_folded() -> None:
    assert text.query_words("机顶盒没信号") == ["机顶盒", "信号"]
    assert text.query_words("盒子黑屏") == ["机顶盒", "黑屏"]
    assert text.query_words("家里网络很卡怎么办") == ["宽带", "卡顿"]
    assert text.query_words("宽带账号密码忘了") == ["宽带", "账号", "密码", "忘"]


def test_segmentation_finds_set_top_box_articles_for_no_signal(library: Library) -> None:
    found = codes("机顶盒没信号")

    assert found[0] == library.stb_no_signal.code
    assert set(found) == {library.stb_no_signal.code, library.stb_black_screen.code}  # 信号源 holds 信号


def test_synonym_box_finds_set_top_box_articles_for_black_screen(library: Library) -> None:
    results = search.search_articles("盒子黑屏", public_only=False)

    assert [hit.code for hit in results.hits] == [library.stb_black_screen.code]
    assert results.words == ["机顶盒", "黑屏"]
    assert "<mark>机顶盒</mark>" in results.hits[0].snippet_html
    assert "<mark>黑屏</mark>" in results.hits[0].title_html


def test_words_are_matched_not_substrings(db: None) -> None:
    # 网速 is inside 网速慢; 速慢 is not a word of it, so searching it finds nothing.
    live("宽带网速慢怎么办", "宽带网速慢时先测速。", category_code="faults-broadband")

    assert codes("速慢") == []
    assert len(codes("网速")) == 1


def test_title_matches_rank_above_body_matches(db: None) -> None:
    body_only = live("光纤入户说明", "装机时工程师会带上光猫，光纤接到光猫上。", code="KB-R-BODY")
    title = live("光猫指示灯说明", "指示灯常亮为正常。", code="KB-R-TITLE")

    assert codes("光猫") == [title.code, body_only.code]


def test_highlighting_escapes_the_article_text(db: None) -> None:
    live("光猫<b>说明</b>", "光猫 & 路由器", code="KB-R-ESC")

    hit = search.search_articles("光猫", public_only=False).hits[0]

    assert hit.title_html == "<mark>光猫</mark>&lt;b&gt;说明&lt;/b&gt;"
    assert hit.snippet_html == "<mark>光猫</mark> &amp; 路由器"


def test_category_filter_includes_the_categories_below(library: Library) -> None:
    faults = search.SearchFilters(
        category_ids=(category("faults").pk, *[c.pk for c in category("faults").children.all()])
    )
    tariffs = search.SearchFilters(category_ids=(category("tariffs-campaigns").pk,))

    assert set(codes("机顶盒", filters=faults)) == {
        library.stb_no_signal.code,
        library.stb_black_screen.code,
        library.internal_codes.code,
    }
    assert codes("机顶盒", filters=tariffs) == []  # both campaigns are out of date today


def test_audience_and_validity_filters_for_staff(library: Library) -> None:
    internal_only = search.SearchFilters(audience=Audience.INTERNAL)
    with_expired = search.SearchFilters(category_ids=(category("tariffs-campaigns").pk,), include_out_of_date=True)

    assert codes("机顶盒", filters=internal_only) == [library.internal_codes.code]
    results = search.search_articles("机顶盒", public_only=False, filters=with_expired)
    assert {hit.code for hit in results.hits} == {library.expired_campaign.code, library.future_campaign.code}
    assert all(hit.is_out_of_date for hit in results.hits)


def test_when_no_article_has_every_word_the_closest_ones_come_back(library: Library) -> None:
    results = search.search_articles("机顶盒 宽带 路由器", public_only=False)

    assert not results.matched_every_word
    assert {hit.code for hit in results.hits} >= {library.broadband_slow.code, library.stb_no_signal.code}


def test_a_mistyped_name_is_found_by_its_sound(db: None) -> None:
    plan = live("畅享套餐58元资费说明", "通话100分钟，流量10GB。", category_code="tariffs-mobile", tags=["畅享套餐"])
    outlet = live("鼓楼湖南路营业厅", "地址：南京市鼓楼区湖南路18号。", category_code="outlets-nanjing")

    typed_plan = search.search_articles("畅想套餐", public_only=True)
    typed_outlet = search.search_articles("鼓搂营业厅", public_only=True)

    assert [hit.code for hit in typed_plan.hits] == [plan.code]
    assert typed_plan.corrections == {"畅想套餐": "畅享套餐"}
    assert [hit.code for hit in typed_outlet.hits] == [outlet.code]
    assert typed_outlet.corrections == {"鼓搂": "鼓楼"}


def test_suggestions_come_from_a_customers_long_message(library: Library) -> None:
    message = "你好，我家的机顶盒从昨天晚上开始就一直黑屏，重启了也没有用，麻烦帮我看看"

    suggested = [hit.code for hit in search.suggest_articles(message)]

    # Each has two of the message's words (机顶盒, 黑屏 / 机顶盒, 重启); 宽带网速慢 has only 重启.
    assert set(suggested[:2]) == {library.stb_black_screen.code, library.stb_no_signal.code}
    assert suggested.index(library.broadband_slow.code) > 1


def test_drafts_and_archived_articles_are_not_in_the_index(library: Library) -> None:
    indexed = set(SearchDocument.objects.values_list("article__code", flat=True))

    assert library.draft.code not in indexed
    assert library.archived_tariff.code not in indexed
    assert library.stb_no_signal.code in indexed


def test_the_database_index_is_the_one_of_the_vendor(library: Library) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_searchdocument_document_gin'")
            assert "USING gin" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT count(*) FROM knowledge_search_fts WHERE knowledge_search_fts MATCH '机顶盒'")
            assert cursor.fetchone()[0] == 5  # the live 机顶盒 articles, valid or not, both audiences
