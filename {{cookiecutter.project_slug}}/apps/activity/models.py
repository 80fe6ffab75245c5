"""Assets, their status history, and the planned preventive maintenance (PPM) done on them.

A ``Job`` is the plan ("inspect pump P-1 weekly from March to June"); each ``Jobneed`` is one
occurrence of it that someone has to perform. The invariants that must hold whatever code writes
the rows live in the database: an asset code is unique within a client, a schedule ends after it
starts, and a job has at most one occurrence per planned time.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from apps.core.models import VersionedModel
from apps.onboarding.models import TenantScopedModel

_NOT_LOADED = object()


class Asset(VersionedModel, TenantScopedModel):
    """A piece of equipment at a site.

    The status it was loaded with is remembered, so that the ``post_save`` receiver in
    ``signals.py`` can tell a status change from any other save and record it in ``AssetLog``.
    """

    class Status(models.TextChoices):
        WORKING = "WORKING", "Working"
        MAINTENANCE = "MAINTENANCE", "Under maintenance"
        STANDBY = "STANDBY", "Standby"
        SCRAPPED = "SCRAPPED", "Scrapped"

    assetcode = models.CharField("code", max_length=50)
    assetname = models.CharField("name", max_length=200)
    category = models.ForeignKey(
        "onboarding.TypeAssist", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WORKING)
    location = models.CharField(max_length=250, blank=True)
    enable = models.BooleanField(default=True)

    class Meta:
        verbose_name = "asset"
        ordering = ["assetcode"]
        constraints = [
            models.UniqueConstraint(fields=["client", "assetcode"], name="asset_unique_code_per_client"),
            models.CheckConstraint(
                condition=Q(status__in=["WORKING", "MAINTENANCE", "STANDBY", "SCRAPPED"]),
                name="asset_status_valid",
            ),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded_status = None
        # Why the status is being changed; the receiver copies it into the AssetLog row.
        self.status_remarks = ""

    def __str__(self):
        return f"{self.assetname} ({self.assetcode})"

    def get_absolute_url(self):
        return reverse("activity:asset-detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status", _NOT_LOADED)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._loaded_status = self.status

    @property
    def status_known(self):
        """False when the row was loaded without its status (``.only()``/``.defer()``)."""
        return self._loaded_status is not _NOT_LOADED

    @property
    def loaded_status(self):
        """The status the row had in the database when it was loaded (None for a new asset)."""
        return self._loaded_status if self.status_known else None

    @property
    def status_changed(self):
        """True when the status differs from the one the row had when it was loaded."""
        return self.status_known and self._loaded_status != self.status

    def mark_status_saved(self):
        """Called once the change is recorded, so a second save does not record it again."""
        self._loaded_status = self.status
        self.status_remarks = ""


class AssetLog(models.Model):
    """One status change of an asset: the history maintenance reports are built from.

    Written only by the receiver that watches ``Asset`` saves, in the same transaction as the
    change it describes. The first row of an asset (``oldstatus`` blank) is its creation.
    """

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="logs")
    oldstatus = models.CharField("old status", max_length=20, choices=Asset.Status.choices, blank=True)
    newstatus = models.CharField("new status", max_length=20, choices=Asset.Status.choices)
    remarks = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cdtz = models.DateTimeField("changed at", auto_now_add=True)
    client = models.ForeignKey("onboarding.Bt", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("onboarding.Bt", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "asset log"
        ordering = ["-cdtz", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(oldstatus=F("newstatus")), name="assetlog_status_changes"),
        ]

    def __str__(self):
        return f"{self.asset_id}: {self.oldstatus or '-'} -> {self.newstatus}"


class Job(VersionedModel, TenantScopedModel):
    """A planned preventive maintenance task on an asset, repeated over a schedule window."""

    class Frequency(models.TextChoices):
        DAILY = "DAILY", "Daily"
        WEEKLY = "WEEKLY", "Weekly"
        MONTHLY = "MONTHLY", "Monthly"

    jobname = models.CharField("name", max_length=200)
    jobdesc = models.TextField("description", blank=True)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="jobs")
    people = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="assigned to",
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    fromdate = models.DateTimeField("from")
    uptodate = models.DateTimeField("up to")
    planduration = models.PositiveIntegerField("planned duration (minutes)", default=60)
    gracetime = models.PositiveIntegerField("grace time (minutes)", default=0)

    class Meta:
        verbose_name = "job"
        ordering = ["fromdate", "jobname"]
        constraints = [
            models.CheckConstraint(condition=Q(uptodate__gt=F("fromdate")), name="job_window_ends_after_start"),
            models.CheckConstraint(
                condition=Q(frequency__in=["DAILY", "WEEKLY", "MONTHLY"]), name="job_frequency_valid"
            ),
        ]

    def __str__(self):
        return self.jobname

    def get_absolute_url(self):
        return reverse("activity:job-detail", args=[self.pk])


class Jobneed(TenantScopedModel):
    """One occurrence of a job: planned at a time, due by its expiry, then performed or closed."""

    class Status(models.TextChoices):
        ASSIGNED = "ASSIGNED", "Assigned"
        INPROGRESS = "INPROGRESS", "In progress"
        COMPLETED = "COMPLETED", "Completed"
        AUTOCLOSED = "AUTOCLOSED", "Auto-closed"

    # The only moves the workflow allows; anything else is refused with a ValidationError.
    TRANSITIONS = {
        Status.ASSIGNED: {Status.INPROGRESS, Status.AUTOCLOSED},
        Status.INPROGRESS: {Status.COMPLETED, Status.AUTOCLOSED},
        Status.COMPLETED: set(),
        Status.AUTOCLOSED: set(),
    }
    OPEN_STATUSES = (Status.ASSIGNED, Status.INPROGRESS)

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="jobneeds")
    jobdesc = models.TextField("description", blank=True)
    plandatetime = models.DateTimeField("planned at")
    expirydatetime = models.DateTimeField("expires at")
    jobstatus = models.CharField("status", max_length=12, choices=Status.choices, default=Status.ASSIGNED)
    performedby = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="performed by",
    )
    remarks = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "job need"
        ordering = ["plandatetime", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "plandatetime"], name="jobneed_unique_per_job_and_time"),
            models.CheckConstraint(
                condition=Q(expirydatetime__gte=F("plandatetime")), name="jobneed_expires_after_plan"
            ),
            models.CheckConstraint(
                condition=Q(jobstatus__in=["ASSIGNED", "INPROGRESS", "COMPLETED", "AUTOCLOSED"]),
                name="jobneed_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.job} @ {self.plandatetime:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("activity:jobneed-detail", args=[self.pk])

    def can_transition_to(self, status):
        return status in self.TRANSITIONS.get(self.jobstatus, set())
