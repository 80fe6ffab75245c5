"""People: the project's user model, with one profile and one organizational record each."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.core.models import BaseModel, VersionedModel


class People(VersionedModel, AbstractUser, BaseModel):
    """A person who works for a client: signs in, checks in at sites, performs jobs.

    Creating one also creates its ``PeopleProfile`` and ``PeopleOrganizational`` (see
    ``signals.py``), in the same transaction.
    """

    # Unique within the person's client (sign-in usernames stay unique across all clients).
    peoplecode = models.CharField("code", max_length=50)
    peoplename = models.CharField("name", max_length=150)
    mobno = models.CharField("mobile number", max_length=20, blank=True)
    client = models.ForeignKey("onboarding.Bt", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    site = models.ForeignKey("onboarding.Bt", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    #: Signing in stamps ``last_login``: bookkeeping that must not make an open edit form stale.
    unversioned_fields = frozenset({"last_login"})

    class Meta(AbstractUser.Meta):
        verbose_name = "person"
        verbose_name_plural = "people"
        ordering = ["peoplecode"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "peoplecode"], condition=Q(client__isnull=False), name="people_unique_code_per_client"
            ),
            models.UniqueConstraint(
                fields=["peoplecode"], condition=Q(client__isnull=True), name="people_unique_code_without_client"
            ),
        ]

    def __str__(self):
        return f"{self.peoplename} ({self.peoplecode})"

    def get_absolute_url(self):
        return reverse("peoples:people-detail", args=[self.pk])


class PeopleProfile(models.Model):
    """Personal details of a person, one row per person."""

    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNSPECIFIED = "", "Unspecified"

    client_scope = "people__client"

    people = models.OneToOneField(People, on_delete=models.CASCADE, related_name="profile")
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    dateofbirth = models.DateField("date of birth", null=True, blank=True)
    dateofjoin = models.DateField("date of joining", null=True, blank=True)
    people_extras = models.JSONField("extras", default=dict, blank=True)

    def __str__(self):
        return f"Profile of {self.people}"


class PeopleOrganizational(models.Model):
    """Where a person stands in the organization, one row per person."""

    client_scope = "people__client"

    people = models.OneToOneField(People, on_delete=models.CASCADE, related_name="organizational")
    department = models.ForeignKey(
        "onboarding.TypeAssist", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    designation = models.ForeignKey(
        "onboarding.TypeAssist", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reportto = models.ForeignKey(
        People, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name="reports to"
    )
    location = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "organizational record"

    def __str__(self):
        return f"Organization of {self.people}"
