from django import forms
from django.core.exceptions import ValidationError

from apps.core.forms import AtomicModelForm
from apps.onboarding.models import Bt

from .models import Vendor, WomDetails, WorkOrder, WorkPermit

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
        self.fields["vendor"].queryset = self.fields["vendor"].queryset.filter(enable=True)

    def clean(self):
        cleaned = super().clean()
        plan, expiry = cleaned.get("plandatetime"), cleaned.get("expirydatetime")
        if plan and expiry and expiry < plan:
            self.add_error("expirydatetime", "A work order cannot expire before it is planned.")
        return cleaned


class WorkPermitForm(AtomicModelForm):
    """A permit with its checklist given as a JSON list of answers.

    Each item is ``{"question": ..., "answertype": "TEXT|MULTILINE|NUMERIC|CHECKBOX|DATE",
    "answer": ..., "ismandatory": false, "seqno": 1}``; ``seqno`` defaults to the position.
    """

    site = forms.ModelChoiceField(queryset=SITES)
    details = forms.JSONField(
        initial=list, help_text='A JSON list, e.g. [{"question": "Area isolated?", "answertype": "CHECKBOX", '
        '"answer": "true", "ismandatory": true}]'
    )  # fmt: skip

    class Meta:
        model = WorkPermit
        fields = ["site", "permit_type", "remarks", "details"]

    def clean_details(self):
        """Every item must be a valid answer; all problems are reported, each with its index."""
        details = self.cleaned_data["details"]
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
