"""The forms of the order pages: opening an order (with the fields its type asks for), the small
form behind each action button, and the list filters.

Forms only parse and check what a person typed; the rules (who may, from which state) stay in
`kefu.tickets.services`, whose refusals the views show beside the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import ServiceArea, Team, User
from kefu.contacts.choices import ContactChannel
from kefu.contacts.models import Contact
from kefu.customers.models import Customer, Subscription
from kefu.tickets.choices import Category, Channel, PendingReason, Priority, Status
from kefu.tickets.models import OrderType, WorkOrder
from kefu.tickets.queries import TeamWorkers
from kefu.tickets.services.lifecycle import ACTIONS

FIELD_PREFIX = "field_"
TEXTAREA_KINDS = frozenset({"textarea", "long_text"})
PROGRESS_STEPS = (
    ("on_the_way", _("On the way")),
    ("arrived", _("Arrived on site")),
    ("diagnosed", _("Cause found")),
    ("note", _("Progress note")),
)


def _textarea(rows: int = 3, placeholder: Any = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


def _type_field(spec: dict[str, Any]) -> forms.Field:
    """One form field of an order type (OrderType.form_fields) as a Django field."""
    label = spec.get("label") or spec["name"]
    required = bool(spec.get("required"))
    kind = spec.get("kind", "text")
    if spec.get("choices") or kind == "choice":
        choices = [("", "—")] + [(choice, choice) for choice in spec.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == "number":
        return forms.DecimalField(label=label, required=required)
    if kind == "date":
        return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == "datetime":
        return forms.DateTimeField(
            label=label, required=required, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
        )
    if kind in TEXTAREA_KINDS:
        return forms.CharField(label=label, required=required, widget=_textarea(2))
    return forms.CharField(label=label, required=required, max_length=500)


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _json_value(value: Any) -> Any:
    """Dates, times and numbers as the text they were typed as: the order keeps its fields as JSON."""
    if value is None or isinstance(value, str | bool | int):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def orderable_types() -> QuerySet[OrderType]:
    """The types an order can be opened with: in use, and not a family that has subtypes in use."""
    return (
        OrderType.objects.filter(is_active=True)
        .exclude(subtypes__is_active=True)
        .select_related("parent")
        .order_by("category", "position", "code")
        .distinct()
    )


@dataclass(frozen=True)
class TypeGroup:
    """A family of types in the picker: 报修 → 数字电视故障, 宽带故障, ..."""

    label: str
    category: str
    types: list[OrderType]


CATEGORY_ORDER = {category: position for position, category in enumerate(Category.values)}


def type_groups(types: QuerySet[OrderType]) -> list[TypeGroup]:
    """Families in the order of PRODUCT §5 (faults first: most calls are faults), types by position."""
    groups: dict[str, TypeGroup] = {}
    ordered = sorted(types, key=lambda kind: (CATEGORY_ORDER.get(kind.category, 99), kind.position, kind.code))
    for order_type in ordered:
        family = order_type.parent.name if order_type.parent else str(Category(order_type.category).label)
        key = order_type.parent.code if order_type.parent else order_type.category
        groups.setdefault(key, TypeGroup(label=family, category=order_type.category, types=[]))
        groups[key].types.append(order_type)
    return list(groups.values())


class OrderCreateForm(forms.Form):
    """Open an order for a customer: type, line, title, priority, the type's own fields."""

    order_type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=OrderType.objects.none(),
        to_field_name="code",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of order this is.")},
    )
    subscription = forms.ModelChoiceField(
        label=_("Line"), queryset=Subscription.objects.none(), required=False, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the type and the first detail, e.g. “Digital TV fault: no signal”."),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(4))
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        required=False,
        help_text=_("Empty: the customer's primary number."),
    )
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)  # the contact it is opened from
    related_order = forms.ModelChoiceField(
        label=_("About the earlier order"),
        queryset=WorkOrder.objects.none(),
        to_field_name="number",
        required=False,
        help_text=_("A complaint about how an earlier order was handled is a secondary complaint."),
    )

    def __init__(
        self,
        *args: Any,
        customer: Customer,
        earlier_orders: QuerySet[WorkOrder],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        types = orderable_types()
        _model_choice(self, "order_type").queryset = types
        self.type_groups = type_groups(types)
        _model_choice(self, "subscription").queryset = customer.subscriptions.order_by("service", "id")
        self.selected_type = self._selected_type(types)
        if self.selected_type is not None and self.selected_type.category == Category.COMPLAINT:
            _model_choice(self, "related_order").queryset = earlier_orders.filter(customer=customer).order_by(
                "-created_at"
            )
        else:
            del self.fields["related_order"]
        if self.selected_type is not None:
            if not self.is_bound:
                self.initial.setdefault("priority", self.selected_type.default_priority)
            for spec in self.selected_type.form_fields:
                self.fields[FIELD_PREFIX + spec["name"]] = _type_field(spec)

    def _selected_type(self, types: QuerySet[OrderType]) -> OrderType | None:
        code = self.data.get("order_type") if self.is_bound else self.initial.get("order_type")
        if not code:
            return None
        return types.filter(code=str(code)).first()

    @property
    def type_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(FIELD_PREFIX)]

    def type_values(self) -> dict[str, Any]:
        """The type's own fields as the order stores them (name → value), empty ones left out."""
        values = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(FIELD_PREFIX) and value not in (None, ""):
                values[name.removeprefix(FIELD_PREFIX)] = _json_value(value)
        return values

    def order_title(self) -> str:
        """The title typed, or "type: first detail" so that a fault can be opened in a few keys."""
        title: str = self.cleaned_data.get("title") or ""
        if title.strip():
            return title.strip()
        order_type: OrderType = self.cleaned_data["order_type"]
        first_detail = next((str(value) for value in self.type_values().values() if str(value).strip()), "")
        return f"{order_type.name}：{first_detail}"[:200] if first_detail else order_type.name


# The order's intake channel (受理渠道) for a contact's channel; the others count as the desk.
CONTACT_CHANNELS = {
    ContactChannel.VOICE: Channel.PHONE,
    ContactChannel.SMS: Channel.SMS,
    ContactChannel.EMAIL: Channel.EMAIL,
    ContactChannel.CHAT: Channel.CHAT,
    ContactChannel.PORTAL: Channel.PORTAL,
}


def order_channel_of(contact: Contact | None) -> str:
    return CONTACT_CHANNELS.get(ContactChannel(contact.channel), Channel.DESK) if contact else Channel.DESK


class OrderActionForm(forms.Form):
    """What an action button asks for; every such form knows its order and the person acting."""

    def __init__(self, *args: Any, order: WorkOrder, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.user = user


class EmptyActionForm(OrderActionForm):
    """Accept, start, resume: the button says it all."""


class ReasonForm(OrderActionForm):
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2), max_length=1000)


class NoteForm(OrderActionForm):
    text = forms.CharField(label=_("Note"), widget=_textarea(2, _("What happened, what was agreed …")))


class HoldForm(OrderActionForm):
    pending_reason = forms.ChoiceField(label=_("Waiting for"), choices=PendingReason.choices)
    reason = forms.CharField(label=_("Details"), widget=_textarea(2), max_length=1000)


class ProgressForm(OrderActionForm):
    step = forms.ChoiceField(label=_("Step"), choices=PROGRESS_STEPS)
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2))


class ResolveForm(OrderActionForm):
    resolution = forms.CharField(
        label=_("Result"), widget=_textarea(3, _("What was found and what was done")), max_length=2000
    )
    note = forms.CharField(label=_("Notes"), required=False, widget=_textarea(2))
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        # `capture` opens the phone's camera straight away on the field page.
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class AttachmentForm(OrderActionForm):
    file = forms.FileField(label=_("File"), widget=forms.FileInput(attrs={"accept": "image/*,.pdf"}))


SATISFACTION_CHOICES = [(score, str(score)) for score in range(5, 0, -1)]


class CallbackForm(OrderActionForm):
    """The callback (回访): how satisfied the customer is, and whether it is really solved."""

    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), choices=SATISFACTION_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    solved = forms.TypedChoiceField(
        label=_("Solved?"),
        choices=[("yes", _("Solved: close the order")), ("no", _("Not solved: reopen"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    comment = forms.CharField(label=_("What the customer said"), required=False, widget=_textarea(2))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("solved") is False and not str(cleaned.get("comment", "")).strip():
            self.add_error("comment", _("Say what is still wrong, for whoever takes the order next."))
        return cleaned


TARGET_TEAM = "team"
TARGET_PERSON = "user"


def dispatch_choices(targets: list[TeamWorkers]) -> list[tuple[str, Any]]:
    """One picker for team + engineer: "鼓楼装维班 (automatic)", then each member with their load."""
    choices: list[tuple[str, Any]] = [("", _("Automatic (by area and load)"))]
    for entry in targets:
        options: list[tuple[str, str]] = [
            (f"{TARGET_TEAM}:{entry.team.pk}", str(_("%(team)s — least loaded") % {"team": entry.team}))
        ]
        for worker in entry.workers:
            label = _("%(person)s (%(count)d open)") % {"person": worker.user, "count": worker.open_orders}
            options.append((f"{TARGET_PERSON}:{worker.user.pk}", str(label)))
        choices.append((str(entry.team), options))
    return choices


class DispatchForm(OrderActionForm):
    """Dispatch or re-dispatch: to the team serving the area, or straight to one engineer."""

    target = forms.ChoiceField(label=_("Dispatch to"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, widget=_textarea(2), max_length=1000)

    def __init__(self, *args: Any, targets: list[TeamWorkers], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "target").choices = dispatch_choices(targets)
        # Taking an order from someone who holds it needs a reason (the state machine's rule).
        self.fields["reason"].required = self.order.status in ACTIONS["redispatch"].sources
        self.teams = {entry.team.pk: entry.team for entry in targets}
        self.people = {worker.user.pk: worker.user for entry in targets for worker in entry.workers}

    def clean_target(self) -> tuple[Team | None, User | None]:
        value: str = self.cleaned_data.get("target") or ""
        if not value:
            return None, None
        kind, _separator, key = value.partition(":")
        if kind == TARGET_TEAM and int(key) in self.teams:
            return self.teams[int(key)], None
        person = self.people.get(int(key)) if kind == TARGET_PERSON else None
        if person is None or person.team_id is None:
            raise forms.ValidationError(_("Choose a team or a person from the list."))
        return self.teams[person.team_id], person


class OrderFilterForm(forms.Form):
    """The filters above the order lists; every one may be left empty."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=ServiceArea.objects.none(), required=False, to_field_name="code"
    )
    q = forms.CharField(label=_("Number or title"), required=False, max_length=100)

    def __init__(self, *args: Any, areas: QuerySet[ServiceArea], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "status").choices = [("", _("All statuses")), *Status.choices]
        _choice(self, "category").choices = [("", _("All categories")), *Category.choices]
        _model_choice(self, "area").queryset = areas
        _model_choice(self, "area").empty_label = str(_("All areas"))

    def apply(self, orders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        if not self.is_valid():
            return orders
        data = self.cleaned_data
        if data.get("status"):
            orders = orders.filter(status=data["status"])
        if data.get("category"):
            orders = orders.filter(category=data["category"])
        if data.get("area") is not None:
            orders = orders.filter(service_area__path__startswith=data["area"].path)
        text = (data.get("q") or "").strip()
        if text:
            orders = orders.filter(number=text.upper()) | orders.filter(title__contains=text)
        return orders
