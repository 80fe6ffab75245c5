"""Clients and their sites, and the lookup values (type assists) the other apps classify with."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.core.models import BaseModel, VersionedModel


def _client_and_its_sites(client_id):
    return Q(pk=client_id) | Q(parent_id=client_id)


class Bt(VersionedModel, BaseModel):
    """A business unit: a client, or one of a client's sites.

    Every operational record belongs to a client and a site, so the hierarchy is kept strict in
    the database: a client has no parent, a site always has one.
    """

    class Identifier(models.TextChoices):
        CLIENT = "CLIENT", "Client"
        SITE = "SITE", "Site"

    # A client and its sites are its records (apps.core.access.scoping).
    client_scope = staticmethod(_client_and_its_sites)

    # Client codes are unique; a site code is unique among its client's sites.
    bucode = models.CharField("code", max_length=30)
    buname = models.CharField("name", max_length=200)
    identifier = models.CharField(max_length=10, choices=Identifier.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    address = models.CharField(max_length=250, blank=True)
    enable = models.BooleanField(default=True)

    class Meta:
        verbose_name = "business unit"
        ordering = ["bucode"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(identifier="CLIENT", parent__isnull=True) | Q(identifier="SITE", parent__isnull=False)),
                name="bt_client_has_no_parent_site_has_one",
            ),
            models.UniqueConstraint(fields=["bucode"], condition=Q(parent__isnull=True), name="bt_unique_client_code"),
            models.UniqueConstraint(
                fields=["parent", "bucode"], condition=Q(parent__isnull=False), name="bt_unique_site_code_per_client"
            ),
        ]

    def __str__(self):
        return f"{self.buname} ({self.bucode})"

    def get_absolute_url(self):
        return reverse("onboarding:businessunit-detail", args=[self.pk])

    @property
    def is_client(self):
        return self.identifier == self.Identifier.CLIENT


class TenantScopedModel(BaseModel):
    """Abstract base for operational records: each belongs to one client and one of its sites."""

    client = models.ForeignKey(Bt, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Bt, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class SuperTypeAssist(BaseModel):
    """A group of lookup values, such as ASSETCATEGORY or PERMITTYPE: shared by every client."""

    client_scope = None

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        verbose_name = "super type assist"
        ordering = ["code"]

    def __str__(self):
        return self.code


def _shared_or_of_client(client_id):
    return Q(client__isnull=True) | Q(client_id=client_id)


class TypeAssist(BaseModel):
    """One lookup value of a group; global, or private to one client."""

    # Every client sees the global values and its own.
    client_scope = staticmethod(_shared_or_of_client)

    tacode = models.CharField("code", max_length=50)
    taname = models.CharField("name", max_length=120)
    tatype = models.ForeignKey(SuperTypeAssist, on_delete=models.PROTECT, related_name="types")
    client = models.ForeignKey(Bt, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "type assist"
        ordering = ["tatype__code", "tacode"]
        constraints = [
            models.UniqueConstraint(
                fields=["tatype", "tacode"],
                condition=Q(client__isnull=True),
                name="typeassist_unique_global_code",
            ),
            models.UniqueConstraint(
                fields=["tatype", "tacode", "client"],
                condition=Q(client__isnull=False),
                name="typeassist_unique_client_code",
            ),
        ]

    def __str__(self):
        return f"{self.tatype.code}/{self.tacode}"
