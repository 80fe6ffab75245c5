from django import forms

from apps.core.forms import AtomicModelForm

from .models import People, PeopleOrganizational, PeopleProfile


class PeopleForm(AtomicModelForm):
    """A person with the profile and organizational details that are created with it."""

    password = forms.CharField(widget=forms.PasswordInput, required=False, strip=False)
    gender = forms.ChoiceField(choices=PeopleProfile.Gender.choices, required=False)
    dateofbirth = forms.DateField(required=False, label="Date of birth")
    dateofjoin = forms.DateField(required=False, label="Date of joining")
    department = PeopleOrganizational._meta.get_field("department").formfield(required=False)
    designation = PeopleOrganizational._meta.get_field("designation").formfield(required=False)
    location = forms.CharField(max_length=120, required=False)

    class Meta:
        model = People
        fields = ["username", "peoplecode", "peoplename", "email", "mobno", "client", "site"]

    def clean(self):
        cleaned = super().clean()
        site, client = cleaned.get("site"), cleaned.get("client")
        if site is not None and (client is None or site.parent_id != client.pk):
            self.add_error("site", "The site must belong to the person's client.")
        return cleaned
