from django import forms

from apps.core.forms import AtomicModelForm

from .models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, PeopleEventlog


class EventForm(AtomicModelForm):
    """A check-in or a check-out of one person, with where it happened."""

    CHECKIN, CHECKOUT = "CHECKIN", "CHECKOUT"

    event_type = forms.ChoiceField(choices=[(CHECKIN, "Check in"), (CHECKOUT, "Check out")])
    lat = forms.DecimalField(max_digits=9, decimal_places=6, required=False, validators=LATITUDE_VALIDATORS)
    lng = forms.DecimalField(max_digits=9, decimal_places=6, required=False, validators=LONGITUDE_VALIDATORS)

    class Meta:
        model = PeopleEventlog
        fields = ["event_type", "people", "lat", "lng", "remarks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = self.fields["people"].queryset.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("lat") is None) != (cleaned.get("lng") is None):
            self.add_error("lat" if cleaned.get("lat") is None else "lng", "Give both coordinates or neither.")
        return cleaned
