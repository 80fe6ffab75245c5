from django import forms
from django.core.exceptions import ValidationError

from apps.core.forms import AtomicModelForm
from apps.onboarding.models import Bt

from .models import Vendor, WomDetails, WorkOrder, WorkPermit, permit_types

DETAIL_FIELDS = ("seqno", "question", "answertype", "answer", "ismandatory")


def _sites_of(request):
    sites = Bt.objects.filter(identifier=Bt.Identifier.SITE)
    client_id = getattr(getattr(request, "user", None), "client_id", None)
    return sites.filter(parent_id=client_id) if client_id else sites


class VendorForm(AtomicModelForm):
    class Meta:
        model = Vendor
        fields = ["code", "name", "email", "mobno", "address", "enable"]


class WorkOrderForm(AtomicModelForm):
    site = forms.ModelChoiceField(queryset=Bt.objects.none(), required=False, help_text="Empty: your own site.")

    class Meta:
        model = WorkOrder
        fields = ["site", "description", "vendor", "asset", "priority", "plandatetime", "expirydatetime"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = _sites_of(self.request)
        client_id = getattr(getattr(self.request, "user", None), "client_id", None)
        if client_id:
            self.fields["vendor"].queryset = Vendor.objects.filter(client_id=client_id, enable=True)
            self.fields["asset"].queryset = self.fields["asset"].queryset.filter(client_id=client_id)

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

    site = forms.ModelChoiceField(queryset=Bt.objects.none())
    details = forms.JSONField(
        initial=list, help_text='A JSON list, e.g. [{"question": "Area isolated?", "answertype": "CHECKBOX", '
        '"answer": "true", "ismandatory": true}]'
    )  # fmt: skip

    class Meta:
        model = WorkPermit
        fields = ["site", "permit_type", "remarks", "details"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = _sites_of(self.request)
        self.fields["permit_type"].queryset = permit_types()

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
