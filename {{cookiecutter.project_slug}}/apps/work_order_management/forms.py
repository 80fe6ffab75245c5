from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.core.forms import AtomicModelForm, BoundedJSONField, refuse_unstorable_text
from apps.onboarding.models import Bt

from .models import PERMIT_TYPE_GROUP, Vendor, WomDetails, WorkOrder, WorkPermit

DETAIL_FIELDS = ("seqno", "question", "answertype", "answer", "ismandatory")


SITES = Bt.objects.filter(identifier=Bt.Identifier.SITE)


class VendorForm(AtomicModelForm):
    class Meta:
        model = Vendor
        fields = ["code", "name", "email", "mobno", "address", "enable"]


class WorkOrderForm(AtomicModelForm):
    site = forms.ModelChoiceField(queryset=SITES, required=False, help_text="Empty: your own site.")

    class Meta:
        model = WorkOrder
        fields = ["site", "description", "vendor", "asset", "priority", "plandatetime", "expirydatetime"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Enabled vendors, and the order's own (kept until someone chooses another).
        offered = Q(enable=True)
        if self.instance.vendor_id is not None:
            offered |= Q(pk=self.instance.vendor_id)
        self.fields["vendor"].queryset = self.fields["vendor"].queryset.filter(offered)

    def clean(self):
        cleaned = super().clean()
        plan, expiry = cleaned.get("plandatetime"), cleaned.get("expirydatetime")
        if plan and expiry and expiry < plan:
            self.add_error("expirydatetime", "A work order cannot expire before it is planned.")
        return cleaned


class WorkOrderChangeForm(WorkOrderForm):
    """An edit of a work order: it stays at its site; its status moves with the workflow buttons."""

    site = None

    class Meta(WorkOrderForm.Meta):
        fields = ["description", "vendor", "asset", "priority", "plandatetime", "expirydatetime"]


class ChecklistRowForm(forms.Form):
    """One question of a permit's checklist, with its answer."""

    question = forms.CharField(max_length=500)
    answertype = forms.ChoiceField(label="Answer type", choices=WomDetails.AnswerType.choices)
    answer = forms.CharField(required=False, max_length=2000)
    ismandatory = forms.BooleanField(label="Mandatory", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_unstorable_text(self)

    def has_changed(self):
        """A row counts once it has a question or an answer: a browser always sends the default type."""
        return any(self[name].data for name in ("question", "answer"))


CHECKLIST_PREFIX = "checklist"


def checklist_formset(extra_rows=0):
    """The formset class of checklist rows: three blank rows to fill, plus ``extra_rows``."""
    return forms.formset_factory(
        ChecklistRowForm, extra=3 + extra_rows, can_delete=True, max_num=100, validate_max=True
    )


class WorkPermitForm(AtomicModelForm):
    """A permit with its checklist.

    A browser fills the checklist as rows (the ``checklist`` formset: add a row with the "Add a
    question" button, blank rows are left out, a ticked "Delete" removes one). A script may send
    ``details`` instead, a JSON list of ``{"question", "answertype", "answer", "ismandatory",
    "seqno"}`` (``seqno`` defaults to the position).
    """

    site = forms.ModelChoiceField(queryset=SITES)
    details = BoundedJSONField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = WorkPermit
        fields = ["site", "permit_type", "remarks", "details"]

    def __init__(self, *args, extra_rows=0, **kwargs):
        super().__init__(*args, **kwargs)
        # Permit types only (not asset categories), among those the form base left to this user.
        self.fields["permit_type"].queryset = self.fields["permit_type"].queryset.filter(tatype__code=PERMIT_TYPE_GROUP)
        self.checklist = None
        if not self.is_bound or f"{CHECKLIST_PREFIX}-TOTAL_FORMS" in self.data:
            formset_class = checklist_formset(extra_rows)
            self.checklist = formset_class(data=self.data if self.is_bound else None, prefix=CHECKLIST_PREFIX)

    def is_valid(self):
        valid = super().is_valid()
        return (self.checklist is None or self.checklist.is_valid()) and valid

    def clean(self):
        cleaned = super().clean()
        if self.checklist is not None and self.checklist.is_valid():
            cleaned["details"] = self._rows_as_details()
        if not cleaned.get("details") and "details" not in self.errors:
            self.add_error(None if self.checklist is not None else "details", "Add at least one checklist question.")
        return cleaned

    def _rows_as_details(self):
        """The filled-in, not deleted rows as checklist answers; each row's own errors stay on it."""
        details = []
        for row in self.checklist.forms:
            if not row.has_changed() or row.cleaned_data.get("DELETE"):
                continue
            data = {name: row.cleaned_data[name] for name in ("question", "answertype", "answer", "ismandatory")}
            answer = WomDetails(**data, seqno=len(details) + 1)
            try:
                answer.clean()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    row.add_error(field if field in row.fields else None, messages)
                self.add_error(None, f"Checklist question {len(details) + 1}: {' '.join(exc.messages)}")
            details.append(data)
        return details

    def clean_details(self):
        """Every item must be a valid answer; all problems are reported, each with its index."""
        details = self.cleaned_data["details"]
        if details in (None, "", []):
            return []
        if not isinstance(details, list) or not all(isinstance(item, dict) for item in details):
            raise ValidationError("Give a JSON list of objects, one per question.")
        problems, seen = [], set()
        for index, item in enumerate(details):
            unknown = set(item) - set(DETAIL_FIELDS)
            if unknown:
                problems.append(f"details[{index}]: unknown fields {', '.join(sorted(unknown))}.")
                continue
            row = WomDetails(**{**item, "seqno": item.get("seqno") or index + 1})
            try:
                row.full_clean(exclude=["permit", "client", "site", "cuser", "muser"], validate_unique=False,
                               validate_constraints=False)  # fmt: skip
            except ValidationError as exc:
                problems.extend(
                    f"details[{index}].{field}: {message}"
                    for field, messages in exc.message_dict.items()
                    for message in messages
                )
            if row.seqno in seen:
                problems.append(f"details[{index}].seqno: position {row.seqno} is used twice.")
            seen.add(row.seqno)
        if problems:
            raise ValidationError(problems)
        return details
