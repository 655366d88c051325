from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kefu.knowledge import services
from kefu.knowledge.models import (
    Article,
    ArticleVersion,
    Category,
    DiagnosisGuide,
    FailedSearch,
    FaqEntry,
    GuideWalkthrough,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("code", "name", "parent", "position")
    list_filter = ("parent",)
    search_fields = ("code", "name")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown for reference: these change only through the desk's workflow, so review and audit hold."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(admin.TabularInline[ArticleVersion, Article]):
    model = ArticleVersion
    fk_name = "article"
    extra = 0
    fields = ("number", "title", "audience", "category", "author", "created_at", "published_at", "published_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("code", "__str__", "status", "published_at", "view_count", "solved_count", "used_count")
    list_filter = ("status",)
    search_fields = ("code", "versions__title")
    inlines = [VersionInline]


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin[FaqEntry]):
    list_display = ("code", "question", "category", "is_active", "answered_count", "updated_at")
    list_filter = ("is_active", "category")
    search_fields = ("code", "question", "short_answer")
    fields = ("code", "question", "paraphrases", "short_answer", "article", "category", "is_active")
    raw_id_fields = ("article",)

    def save_model(self, request: HttpRequest, obj: FaqEntry, form: Any, change: bool) -> None:
        content = services.FaqContent(
            question=obj.question,
            short_answer=obj.short_answer,
            paraphrases=[str(item) for item in obj.paraphrases or []],
            article=obj.article,
            category=obj.category,
            is_active=obj.is_active,
        )
        saved = services.save_faq(actor=request.user, code=obj.code, content=content)
        obj.pk = saved.pk


@admin.register(DiagnosisGuide)
class DiagnosisGuideAdmin(admin.ModelAdmin[DiagnosisGuide]):
    list_display = ("code", "title", "service", "is_active", "updated_at")
    list_filter = ("service", "is_active")
    search_fields = ("code", "title", "symptom")
    fields = ("code", "title", "service", "symptom", "tree", "article", "is_active")
    raw_id_fields = ("article",)

    def save_model(self, request: HttpRequest, obj: DiagnosisGuide, form: Any, change: bool) -> None:
        content = services.GuideContent(
            title=obj.title,
            service=obj.service,
            symptom=obj.symptom,
            tree=obj.tree,
            article=obj.article,
            is_active=obj.is_active,
        )
        saved = services.save_guide(actor=request.user, code=obj.code, content=content)
        obj.pk = saved.pk


@admin.register(GuideWalkthrough)
class GuideWalkthroughAdmin(ReadOnlyAdmin):
    list_display = ("guide", "outcome", "order_type_code", "contact_reference", "order_reference", "started_at")
    list_filter = ("outcome", "guide")
    search_fields = ("contact_reference", "order_reference")


@admin.register(FailedSearch)
class FailedSearchAdmin(ReadOnlyAdmin):
    list_display = ("query", "count", "channel", "last_at", "is_handled")
    list_filter = ("is_handled", "channel")
    search_fields = ("query",)
