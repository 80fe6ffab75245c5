"""Write paths of activity: each function is one transaction on the current database alias.

The paths that change a shared record's state take a distributed lock on it first and then open
the transaction (``with_lock_and_transaction``): asset status changes per asset, job planning per
asset (creation) or per job (re-planning), jobneed transitions per jobneed. Those functions are
the outermost boundary of their operation and refuse to run inside an open transaction, which
would outlive the lock. The lock is never the only guard: the ones that change a row also re-read
it under ``SELECT ... FOR UPDATE``, and the database's constraints hold whatever the locks do, so
a lock that expires under a slow holder cannot lose an update.

The steps of the multi-step paths are small private functions (``_generate_jobneeds``,
``_autoclose_jobneeds_of``, ...) so that the order is readable here and each step can be made to
fail on its own in the tests. Everything that leaves the database (the assignment e-mail) is
scheduled to run after commit.
"""

import calendar
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.services.distributed_locks import with_lock_and_transaction
from apps.core.services.row_update import apply_changes, lock_row, save_changes
from apps.core.services.transaction_manager import atomic_view_operation, send_task_on_commit
from apps.core.services.userinfo import save_userinfo

from .models import Asset, Job, Jobneed
from .tasks import notify_job_assigned

# A schedule window that would produce more occurrences than this is almost always a typo in a
# date; refusing it keeps one request from inserting an unbounded number of rows.
MAX_JOBNEEDS_PER_JOB = 1000

ASSET_FIELDS = ("assetname", "category", "location", "enable")
JOB_FIELDS = ("jobname", "jobdesc", "people", "frequency", "fromdate", "uptodate", "planduration", "gracetime")


def _tenant(author, client, site):
    """The client and site a new record belongs to: the ones given (a site implies its client),
    else the author's own."""
    site = site or getattr(author, "site", None)
    client = client or (site.parent if site is not None else getattr(author, "client", None))
    if client is None or site is None:
        raise ValidationError({"site": "A client and a site are required."})
    if site.parent_id != client.pk:
        raise ValidationError({"site": "The site must belong to the client."})
    return client, site


def _check_category(category, client):
    if category is not None and category.client_id not in (None, client.pk):
        raise ValidationError({"category": "The category belongs to another client."})


# Assets
# ------------------------------------------------------------------------------


@atomic_view_operation()
def create_asset(
    *, author, assetcode, assetname, client=None, site=None, category=None, status=Asset.Status.WORKING,
    location="", enable=True,
):  # fmt: skip
    """Create an asset; the receiver records its first status in the same transaction.

    A duplicate code within the client is refused by the database (IntegrityError: 409).
    """
    client, site = _tenant(author, client, site)
    _check_category(category, client)
    if status not in Asset.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    asset = Asset(
        assetcode=assetcode, assetname=assetname, category=category, status=status, location=location, enable=enable
    )
    return save_userinfo(asset, author, client=client, site=site)


def _refuse_unknown(changes, allowed):
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})


@atomic_view_operation()
def update_asset(*, author, asset, expected_version=None, **changes):
    """Change an asset's descriptive fields. Its status changes only through ``change_asset_status``.

    ``asset`` is the asset or its pk: the row is re-read under a row lock and only the fields
    sent are written, so neither a concurrent status change nor another edit is undone.
    ``expected_version``, when given, refuses the edit if the asset changed since it was read.
    """
    _refuse_unknown(changes, ASSET_FIELDS)
    current = lock_row(Asset.objects, asset, expected_version=expected_version)
    changed = apply_changes(current, changes, ASSET_FIELDS)
    _check_category(current.category, current.client)
    return save_changes(current, author, changed)


def _autoclose_jobneeds_of(asset, author, remarks):
    """Close the open occurrences of the asset's jobs: nobody maintains a scrapped asset."""
    return Jobneed.objects.filter(job__asset=asset, jobstatus__in=Jobneed.OPEN_STATUSES).update(
        jobstatus=Jobneed.Status.AUTOCLOSED,
        remarks=remarks or "Asset scrapped.",
        muser=author,
        mdtz=timezone.now(),
    )


@with_lock_and_transaction("ASSET_STATUS_UPDATE", resource_id_param="asset")
def change_asset_status(*, author, asset, status, remarks=""):
    """Move an asset to ``status``; the ``AssetLog`` row is written by the receiver, in this transaction.

    One status change at a time per asset (its ASSET_STATUS_UPDATE lock). The asset is also
    re-read under ``SELECT ... FOR UPDATE``: the log's old status is the one the row really had,
    even if the lock expired under a slow holder, and the updated asset is returned. Scrapping
    is final, and it auto-closes the open occurrences of the asset's jobs.
    """
    if status not in Asset.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    current = lock_row(Asset.objects, asset)
    if current.status == Asset.Status.SCRAPPED:
        raise ValidationError({"status": "A scrapped asset cannot change status."})
    if current.status == status:
        raise ValidationError({"status": f"The asset is already {current.get_status_display().lower()}."})
    current.status = status
    current.status_remarks = remarks
    save_changes(current, author, ["status"])
    if status == Asset.Status.SCRAPPED:
        _autoclose_jobneeds_of(current, author, remarks)
    return current


# Jobs and their occurrences
# ------------------------------------------------------------------------------


def _add_months(value, months):
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def _occurrence(job, number):
    """The planned time of the job's ``number``-th occurrence, counted from its start."""
    if job.frequency == Job.Frequency.DAILY:
        return job.fromdate + timedelta(days=number)
    if job.frequency == Job.Frequency.WEEKLY:
        return job.fromdate + timedelta(weeks=number)
    # Always counted from the start, so 31 January gives 28/29 February, then 31 March.
    return _add_months(job.fromdate, number)


def schedule(job, start=None):
    """The planned times of the job in its window ``[fromdate, uptodate)``, from ``start`` on."""
    number = 0
    while (plan := _occurrence(job, number)) < job.uptodate:
        if start is None or plan >= start:
            yield plan
        number += 1


def _validate_job(job):
    errors = {}
    if job.fromdate and job.uptodate and job.uptodate <= job.fromdate:
        errors["uptodate"] = "The schedule must end after it starts."
    if job.frequency not in Job.Frequency.values:
        errors["frequency"] = f"Unknown frequency {job.frequency!r}."
    if job.planduration < 1:
        errors["planduration"] = "The planned duration must be at least one minute."
    if job.people is not None and job.people.client_id not in (None, job.client_id):
        errors["people"] = "The assignee works for another client."
    if errors:
        raise ValidationError(errors)


def _generate_jobneeds(job, author, start=None):
    """Insert one ASSIGNED occurrence per planned time of the job from ``start`` on.

    Times that already have an occurrence (one in progress or completed) are left alone.
    """
    taken = set(job.jobneeds.values_list("plandatetime", flat=True)) if start is not None else set()
    due = timedelta(minutes=job.planduration + job.gracetime)
    jobneeds = []
    for plan in schedule(job, start):
        if plan in taken:
            continue
        if len(jobneeds) == MAX_JOBNEEDS_PER_JOB:
            raise ValidationError(
                {"uptodate": f"The schedule window gives more than {MAX_JOBNEEDS_PER_JOB} occurrences; shorten it."}
            )
        jobneed = Jobneed(job=job, jobdesc=job.jobdesc, plandatetime=plan, expirydatetime=plan + due)
        jobneeds.append(save_userinfo(jobneed, author, client=job.client_id, site=job.site_id, save=False))
    return Jobneed.objects.bulk_create(jobneeds)


def _remove_future_assigned_jobneeds(job, now):
    """Drop the occurrences nobody has started yet, so the new schedule can replace them."""
    return job.jobneeds.filter(jobstatus=Jobneed.Status.ASSIGNED, plandatetime__gte=now).delete()


def _notify_assignee_after_commit(job):
    if job.people_id is not None:
        send_task_on_commit(notify_job_assigned, job.pk)


@with_lock_and_transaction("JOB_WORKFLOW_UPDATE", resource_id_param="asset", resource_kind="asset")
def create_job(
    *, author, jobname, asset, fromdate, uptodate, frequency=Job.Frequency.WEEKLY, planduration=60, gracetime=0,
    people=None, jobdesc="",
):  # fmt: skip
    """Create a PPM job and all its occurrences in the schedule window, all or nothing.

    The job belongs to the asset's client and site. The assignee is e-mailed after commit.
    Planning on one asset is one at a time (JOB_WORKFLOW_UPDATE on the asset), so two planners
    see each other's jobs.
    """
    job = Job(
        jobname=jobname, jobdesc=jobdesc, asset=asset, people=people, frequency=frequency, fromdate=fromdate,
        uptodate=uptodate, planduration=planduration, gracetime=gracetime,
        client_id=asset.client_id, site_id=asset.site_id,
    )  # fmt: skip
    _validate_job(job)
    save_userinfo(job, author)
    _generate_jobneeds(job, author)
    _notify_assignee_after_commit(job)
    return job


@with_lock_and_transaction("JOB_WORKFLOW_UPDATE", resource_id_param="job", resource_kind="job")
def update_job(*, author, job, expected_version=None, **changes):
    """Change a job and re-plan its future occurrences that nobody has started yet.

    ``job`` is the job or its pk: the row is re-read here, under the job's JOB_WORKFLOW_UPDATE
    lock and its row lock, and only the fields sent are written, so a concurrent edit of
    another field survives and the re-plan uses the schedule the row really has.
    ``expected_version``, when given, refuses the edit if the job changed since it was read.
    Past occurrences and the ones in progress, completed or closed are kept. A new assignee is
    e-mailed after commit.
    """
    _refuse_unknown(changes, JOB_FIELDS)
    current = lock_row(Job.objects.select_related("people"), job, expected_version=expected_version)
    stored_people_id = current.people_id
    changed = apply_changes(current, changes, JOB_FIELDS)
    _validate_job(current)
    save_changes(current, author, changed)
    now = timezone.now()
    _remove_future_assigned_jobneeds(current, now)
    _generate_jobneeds(current, author, start=now)
    if current.people_id != stored_people_id:
        _notify_assignee_after_commit(current)
    return current


@with_lock_and_transaction("JOBNEED_STATUS_UPDATE", resource_id_param="jobneed")
def transition_jobneed(*, author, jobneed, to_status, remarks=""):
    """Move one occurrence along its workflow: ASSIGNED -> INPROGRESS -> COMPLETED, or AUTOCLOSED.

    One move at a time per occurrence (its JOBNEED_STATUS_UPDATE lock). The row is also re-read
    under ``SELECT ... FOR UPDATE`` so the move is checked against the status it really has, not
    the one a concurrent request just replaced, even if the lock expired.
    """
    current = Jobneed.objects.select_for_update().get(pk=jobneed.pk)
    if to_status not in Jobneed.Status.values:
        raise ValidationError({"to_status": f"Unknown status {to_status!r}."})
    if not current.can_transition_to(to_status):
        raise ValidationError({"to_status": f"A job need cannot move from {current.jobstatus} to {to_status}."})
    current.jobstatus = to_status
    if remarks:
        current.remarks = remarks
    if to_status in (Jobneed.Status.INPROGRESS, Jobneed.Status.COMPLETED):
        current.performedby = author
    return save_userinfo(current, author)


@atomic_view_operation()
def autoclose_expired_jobneeds(*, author=None, now=None):
    """Close every open occurrence whose expiry has passed; returns how many were closed."""
    now = now or timezone.now()
    return Jobneed.objects.filter(jobstatus__in=Jobneed.OPEN_STATUSES, expirydatetime__lt=now).update(
        jobstatus=Jobneed.Status.AUTOCLOSED, remarks="Expired before it was completed.", muser=author, mdtz=now
    )
