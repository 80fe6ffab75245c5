from django import forms

from apps.core.access.scoping import is_platform_staff
from apps.core.forms import AtomicModelForm

from .models import Bt, SuperTypeAssist, TypeAssist


class ClientForm(AtomicModelForm):
    class Meta:
        model = Bt
        fields = ["bucode", "buname", "address", "enable"]


class SiteForm(AtomicModelForm):
    client = forms.ModelChoiceField(queryset=Bt.objects.filter(identifier=Bt.Identifier.CLIENT))

    class Meta:
        model = Bt
        fields = ["client", "bucode", "buname", "address", "enable"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A site's client is its parent: an edit starts from the one it has.
            self.initial.setdefault("client", self.instance.parent_id)


class SuperTypeAssistForm(AtomicModelForm):
    class Meta:
        model = SuperTypeAssist
        fields = ["code", "name"]


class TypeAssistForm(AtomicModelForm):
    client = forms.ModelChoiceField(queryset=Bt.objects.filter(identifier=Bt.Identifier.CLIENT), required=False)

    class Meta:
        model = TypeAssist
        fields = ["tatype", "tacode", "taname", "client"]

    def clean(self):
        cleaned = super().clean()
        user = getattr(self.request, "user", None)
        if user is not None and not is_platform_staff(user):
            cleaned["client"] = user.client  # shared values are kept by platform staff
        return cleaned
