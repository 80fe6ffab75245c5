from django import forms

from apps.core.forms import AtomicModelForm
from apps.onboarding.models import Bt

from .models import Asset, Job


def _sites_of(request):
    sites = Bt.objects.filter(identifier=Bt.Identifier.SITE)
    client_id = getattr(getattr(request, "user", None), "client_id", None)
    return sites.filter(parent_id=client_id) if client_id else sites


class AssetForm(AtomicModelForm):
    """A new asset; without a site it belongs to the author's own site."""

    site = forms.ModelChoiceField(queryset=Bt.objects.none(), required=False)

    class Meta:
        model = Asset
        fields = ["assetcode", "assetname", "category", "status", "location", "enable", "site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = _sites_of(self.request)


class AssetStatusForm(AtomicModelForm):
    """A status change of an existing asset, with why it happened."""

    remarks = forms.CharField(max_length=500, required=False, widget=forms.Textarea)

    class Meta:
        model = Asset
        fields = ["status"]


class JobForm(AtomicModelForm):
    """A PPM job; its occurrences are generated when it is saved."""

    class Meta:
        model = Job
        fields = [
            "jobname", "jobdesc", "asset", "people", "frequency", "fromdate", "uptodate", "planduration", "gracetime",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        client_id = getattr(getattr(self.request, "user", None), "client_id", None)
        if client_id:
            self.fields["asset"].queryset = Asset.objects.filter(client_id=client_id, enable=True)
            self.fields["people"].queryset = self.fields["people"].queryset.filter(client_id=client_id)

    def clean(self):
        cleaned = super().clean()
        fromdate, uptodate = cleaned.get("fromdate"), cleaned.get("uptodate")
        if fromdate and uptodate and uptodate <= fromdate:
            self.add_error("uptodate", "The schedule must end after it starts.")
        return cleaned
