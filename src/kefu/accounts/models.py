"""Staff, teams, skills and the service-area tree."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.choices import AreaLevel, Role, TeamKind


class ServiceArea(models.Model):
    """A place the operator serves: city → district → service area (片区).

    `path` holds the codes from the root ("/NJ/NJ-GL/NJ-GL-03/") so that "this area and
    everything below it" is one indexed prefix match.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_areas",
    )

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path if self.parent else '/'}{self.code}/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        names = []
        node: ServiceArea | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Team(models.Model):
    """A group of staff working together: a hotline team, a back-office desk or a field crew (班组)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    lead = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    areas = models.ManyToManyField(ServiceArea, verbose_name=_("areas served"), blank=True, related_name="teams")
    calendar = models.ForeignKey(
        "core.BusinessCalendar",
        verbose_name=_("working hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: the standard office week with public holidays."),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something an agent can handle: a business line, a language, a channel (技能)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff who signs in to the desk (员工). Customers are not users."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=32, blank=True, db_index=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    is_on_duty = models.BooleanField(
        _("on duty"), default=True, help_text=_("Automatic dispatch only assigns work to staff on duty.")
    )
    areas = models.ManyToManyField(
        ServiceArea,
        verbose_name=_("areas of responsibility"),
        blank=True,
        related_name="staff",
        help_text=_("Field staff and area managers see only work in these areas and below."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    @property
    def role_codes(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True)) & set(Role.values)
            self._role_codes = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.role_codes & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(code).label) for code in Role.values if code in self.role_codes]


class AgentSkill(models.Model):
    """How well an agent handles a skill, 1 (learning) to 5 (expert)."""

    agent = models.ForeignKey(User, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="agents")
    level = models.PositiveSmallIntegerField(_("level"), default=3)

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_once"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="agent_skill_level_1_5"),
        ]
        # routing: "agents with this skill at this level or better"
        indexes = [models.Index(fields=["skill", "level"], name="agent_skill_level_idx")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill} · {self.level}"
