from django import forms

from apps.core.access.roles import Role
from apps.core.forms import AtomicModelForm

from .models import People, PeopleOrganizational, PeopleProfile


class PeopleForm(AtomicModelForm):
    """A person with the profile and organizational details that are created with it.

    ``password`` sets the password of a new person; on an existing one it is a change by its
    owner (with ``old_password``) or a reset by a client admin of the same client (see
    ``services``). Choices (client, site, department) hold only the user's client's rows.
    """

    password = forms.CharField(widget=forms.PasswordInput, required=False, strip=False)
    old_password = forms.CharField(widget=forms.PasswordInput, required=False, strip=False)
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False)
    gender = forms.ChoiceField(choices=PeopleProfile.Gender.choices, required=False)
    dateofbirth = forms.DateField(required=False, label="Date of birth")
    dateofjoin = forms.DateField(required=False, label="Date of joining")
    department = PeopleOrganizational._meta.get_field("department").formfield(required=False)
    designation = PeopleOrganizational._meta.get_field("designation").formfield(required=False)
    location = forms.CharField(max_length=120, required=False)

    class Meta:
        model = People
        fields = ["username", "peoplecode", "peoplename", "email", "mobno", "client", "site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = self.fields["client"].queryset.filter(identifier="CLIENT")
        self.fields["site"].queryset = self.fields["site"].queryset.filter(identifier="SITE")
        if self.instance.pk is not None:
            self.fields["roles"].initial = sorted(
                self.instance.groups.filter(name__in=Role.values).values_list("name", flat=True)
            )
            self._start_from_details(self.instance)

    def _start_from_details(self, person):
        """An edit shows the person's profile and organizational details as they are saved."""
        for related, names in (
            ("profile", ("gender", "dateofbirth", "dateofjoin")),
            ("organizational", ("department", "designation", "location")),
        ):
            details = getattr(person, related, None)
            if details is not None:
                for name in names:
                    self.initial.setdefault(name, getattr(details, name))

    def clean(self):
        cleaned = super().clean()
        site, client = cleaned.get("site"), cleaned.get("client")
        if site is not None and (client is None or site.parent_id != client.pk):
            self.add_error("site", "The site must belong to the person's client.")
        if self.instance.pk is not None and "roles" not in self.data:
            cleaned.pop("roles", None)  # not sent: leave the person's roles as they are
        return cleaned
