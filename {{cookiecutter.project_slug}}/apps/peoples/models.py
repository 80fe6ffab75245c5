"""People: the project's user model, with one profile and one organizational record each."""

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.core.models import BaseModel, VersionedModel
from apps.core.services.transaction_manager import atomic_view_operation, get_current_db_name, use_database


class PeopleManager(UserManager):
    """``create_user`` / ``create_superuser`` (and so ``manage.py createsuperuser``) for people.

    A person needs a unique ``peoplecode``: when none is given, one is made from the username.
    The person, its profile and its organizational record (made by the post_save receivers) are
    written in one transaction on one alias, the manager's (``createsuperuser --database``) or the
    current one: under tenant routing everything lands in the tenant's database, or nothing does.
    """

    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):
        alias = self._db or get_current_db_name()
        with use_database(alias), atomic_view_operation(using=alias, name="peoples.create_user"):
            manager = self.db_manager(alias)
            if not extra_fields.get("peoplecode"):
                extra_fields["peoplecode"] = manager.unused_peoplecode(username)
            extra_fields.setdefault("peoplename", username)
            return super(PeopleManager, manager)._create_user(username, email, password, **extra_fields)

    def unused_peoplecode(self, username):
        """A code made from ``username`` that no person has yet: ``ADMIN``, else ``ADMIN-2``, ``ADMIN-3``..."""
        base = re.sub(r"[^A-Z0-9]+", "-", str(username).upper()).strip("-")[:40] or "PERSON"
        taken = set(self.filter(peoplecode__startswith=base).values_list("peoplecode", flat=True))
        code, number = base, 1
        while code in taken:
            number += 1
            code = f"{base}-{number}"
        return code


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

    objects = PeopleManager()

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
