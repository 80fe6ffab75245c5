from django import forms

from apps.core.forms import AtomicModelForm
from apps.onboarding.models import Bt

from .models import Asset, Job


class AssetForm(AtomicModelForm):
    """A new asset; without a site it belongs to the author's own site."""

    site = forms.ModelChoiceField(queryset=Bt.objects.filter(identifier=Bt.Identifier.SITE), required=False)

    class Meta:
        model = Asset
        fields = ["assetcode", "assetname", "category", "status", "location", "enable", "site"]


class AssetChangeForm(AtomicModelForm):
    """An edit of an asset's description: its code and site are set once, its status has its own form."""

    class Meta:
        model = Asset
        fields = ["assetname", "category", "location", "enable"]


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
        if "asset" in self.fields:
            self.fields["asset"].queryset = self.fields["asset"].queryset.filter(enable=True)

    def clean(self):
        cleaned = super().clean()
        fromdate, uptodate = cleaned.get("fromdate"), cleaned.get("uptodate")
        if fromdate and uptodate and uptodate <= fromdate:
            self.add_error("uptodate", "The schedule must end after it starts.")
        return cleaned


class JobChangeForm(JobForm):
    """An edit of a PPM job: it stays on its asset; its open occurrences are planned again when it is saved."""

    class Meta(JobForm.Meta):
        fields = ["jobname", "jobdesc", "people", "frequency", "fromdate", "uptodate", "planduration", "gracetime"]
