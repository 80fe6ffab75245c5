"""Attendance: when and where people checked in at a site and checked out again."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from apps.onboarding.models import TenantScopedModel

LATITUDE_VALIDATORS = [MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))]
LONGITUDE_VALIDATORS = [MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))]


def _coordinate(verbose_name, validators):
    return models.DecimalField(
        verbose_name, max_digits=9, decimal_places=6, null=True, blank=True, validators=validators
    )


class PeopleEventlog(TenantScopedModel):
    """One shift of one person: the check-in, and the check-out once it happens.

    An event without a check-out is *open*. The database allows each person at most one open
    event, so two check-ins racing each other cannot both succeed whatever the application does.
    """

    people = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="eventlogs", verbose_name="person"
    )
    datefor = models.DateField("date")
    punchintime = models.DateTimeField("checked in at")
    punchouttime = models.DateTimeField("checked out at", null=True, blank=True)
    startlat = _coordinate("check-in latitude", LATITUDE_VALIDATORS)
    startlng = _coordinate("check-in longitude", LONGITUDE_VALIDATORS)
    endlat = _coordinate("check-out latitude", LATITUDE_VALIDATORS)
    endlng = _coordinate("check-out longitude", LONGITUDE_VALIDATORS)
    remarks = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "attendance event"
        ordering = ["-punchintime", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["people"], condition=Q(punchouttime__isnull=True), name="eventlog_one_open_event_per_person"
            ),
            models.CheckConstraint(
                condition=Q(punchouttime__isnull=True) | Q(punchouttime__gte=F("punchintime")),
                name="eventlog_checkout_after_checkin",
            ),
        ]

    def __str__(self):
        return f"{self.people_id} on {self.datefor}"

    def get_absolute_url(self):
        return reverse("attendance:event-detail", args=[self.pk])

    @property
    def is_open(self):
        return self.punchouttime is None
