"""The knowledge base (知识库): articles with versions and review, FAQ answers, diagnosis guides.

Readers never see the working copy of an article: they see its published version, and only
while the article is not archived. Every edit is a new `ArticleVersion`; publishing points
`Article.published_version` at the reviewed one and copies what search needs into its
`SearchDocument`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.customers.choices import ServiceKind
from kefu.knowledge.choices import (
    ArticleStatus,
    Audience,
    UsageChannel,
    UsageKind,
    WalkthroughOutcome,
)


class Category(models.Model):
    """A branch of the knowledge tree (知识分类): services, tariffs, processes, outlets, fault handling, policies."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class Article(models.Model):
    """A knowledge article (知识条目): its identity, its place in the review workflow and its usage.

    The content lives in versions: `current_version` is the editors' working copy,
    `published_version` what readers see (None: nothing is live).
    """

    code = models.CharField(_("article number"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    current_version = models.ForeignKey(
        "ArticleVersion",
        verbose_name=_("working version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_version = models.ForeignKey(
        "ArticleVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    solved_count = models.PositiveIntegerField(_("solved marks"), default=0)
    used_count = models.PositiveIntegerField(_("used on contacts"), default=0)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="knowledge_article_status_idx")]
        permissions = [("publish_article", _("Approve, publish and archive knowledge articles"))]

    def __str__(self) -> str:
        version = self.current_version
        return f"{self.code} {version.title}" if version is not None else self.code

    @property
    def is_live(self) -> bool:
        return self.published_version_id is not None and self.status != ArticleStatus.ARCHIVED


class ArticleVersion(models.Model):
    """One saved edit of an article (版本): everything a reviewer approves, never changed afterwards."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Safe HTML: paragraphs, lists, tables, emphasis and links."))
    body_text = models.TextField(_("plain text"), blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Hidden from customers after this day.")
    )
    note = models.CharField(_("change note"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class ArticleAttachment(models.Model):
    """A file attached to an article (附件): a form, a price list, a wiring photo."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="knowledge/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["article", "uploaded_at"]

    def __str__(self) -> str:
        return self.name


class SearchDocument(models.Model):
    """What search sees of a live article (检索索引): segmented words plus the columns filters need.

    One row per live article, written only by `kefu.knowledge.search.index_article`. The
    full-text index itself is built by the database from the `*_terms` columns: a generated
    tsvector column with a GIN index on PostgreSQL, an FTS5 table kept in step by triggers
    on SQLite (migration 0002).
    """

    # Its own integer key (SQLite's rowid), so FTS5 reaches a row in one lookup.
    article = models.OneToOneField(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="search_document"
    )
    title_terms = models.TextField(blank=True)
    tag_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"search document of article {self.article_id}"


class SearchTerm(models.Model):
    """A word of an article title or tag (名称词表), with its pinyin, to correct typos in names."""

    term = models.CharField(max_length=64, unique=True)
    sound = models.CharField(max_length=200, db_index=True, help_text="toneless pinyin with fuzzy initials/finals")

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self) -> str:
        return self.term


class FaqEntry(models.Model):
    """A frequently asked question (常见问题) with the ways customers ask it and a short answer.

    `short_answer` is plain text fit for an SMS or to be read by the IVR; `article` is the
    full explanation for agents and the portal.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    question = models.CharField(_("question"), max_length=200)
    paraphrases = models.JSONField(_("other ways to ask"), default=list, blank=True)
    short_answer = models.CharField(_("short answer (SMS/IVR)"), max_length=300)
    article = models.ForeignKey(
        Article, verbose_name=_("full article"), null=True, blank=True, on_delete=models.SET_NULL, related_name="faqs"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("in use"), default=True)
    answered_count = models.PositiveIntegerField(_("times answered"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.question


class DiagnosisGuide(models.Model):
    """A fault-diagnosis guide (故障诊断指引): a tree from a symptom to a fix or a repair order.

    `tree` is {"start": node id, "nodes": {id: node}}; a node has a `kind` (GuideNodeKind),
    `text`, and either `answers` [{"label", "next"}] or, when it ends the walk, nothing more
    (`solved`) or the `order_type` code of the repair order to open (`order`).
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    service = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    symptom = models.CharField(_("symptom"), max_length=300)
    tree = models.JSONField(_("diagnosis tree"))
    article = models.ForeignKey(
        Article,
        verbose_name=_("related article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guides",
    )
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("diagnosis guide")
        verbose_name_plural = _("diagnosis guides")
        ordering = ["service", "code"]

    def __str__(self) -> str:
        return self.title


class GuideWalkthrough(models.Model):
    """One walk through a diagnosis guide (诊断记录): the answers given, and how it ended.

    Kept with the contact and, when a repair order is opened, the order number, so the
    engineer sees what was already tried. Contacts and orders are referenced by their
    numbers: this app sits beside them, not above them.
    """

    guide = models.ForeignKey(
        DiagnosisGuide, verbose_name=_("guide"), on_delete=models.PROTECT, related_name="walkthroughs"
    )
    path = models.JSONField(_("path walked"), default=list)
    current_node = models.CharField(_("current step"), max_length=64)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=WalkthroughOutcome.choices, default=WalkthroughOutcome.IN_PROGRESS
    )
    order_type_code = models.CharField(_("repair order type"), max_length=40, blank=True)
    contact_reference = models.CharField(_("contact"), max_length=64, blank=True, db_index=True)
    order_reference = models.CharField(_("work order"), max_length=64, blank=True, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("guide walk-through")
        verbose_name_plural = _("guide walk-throughs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.guide.code} #{self.pk}"


class ArticleUsage(models.Model):
    """A view of an article, a "solved my issue" mark, or its use on a contact (使用记录)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="usages")
    kind = models.CharField(_("kind"), max_length=10, choices=UsageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=UsageChannel.choices, default=UsageChannel.DESK)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_reference = models.CharField(_("contact"), max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article usage")
        verbose_name_plural = _("article usage")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["article", "kind", "at"], name="knowledge_usage_article_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class FailedSearch(models.Model):
    """A search that found nothing (无结果搜索): what editors should write next."""

    query = models.CharField(_("search text"), max_length=200, unique=True)
    count = models.PositiveIntegerField(_("times"), default=1)
    channel = models.CharField(_("last channel"), max_length=10, choices=UsageChannel.choices)
    first_at = models.DateTimeField(_("first"), auto_now_add=True)
    last_at = models.DateTimeField(_("last"))
    is_handled = models.BooleanField(_("handled"), default=False)

    class Meta:
        verbose_name = _("failed search")
        verbose_name_plural = _("failed searches")
        ordering = ["is_handled", "-count", "-last_at"]

    def __str__(self) -> str:
        return self.query
