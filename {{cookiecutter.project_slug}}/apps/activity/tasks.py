"""Background work of activity: the assignment e-mail and closing expired job occurrences.

Tasks are sent only after the transaction that scheduled them has committed, so the worker finds
the committed rows; they still tolerate a row that has been deleted since.

Tasks run as the system: they are not scoped to a client (``apps.core.access``); what they touch
was chosen by the committed write that scheduled them.
"""

import logging

from celery import shared_task
from django.core.mail import send_mail

from apps.core.outbox.consumer import IdempotentTask
from apps.core.services.transaction_manager import atomic_view_operation

from .models import Job

logger = logging.getLogger(__name__)


@shared_task(base=IdempotentTask)
def notify_job_assigned(job_id):
    """E-mail the assignee of a job its schedule. Returns whether a message was sent."""
    job = Job.objects.select_related("people", "asset").filter(pk=job_id).first()
    if job is None or job.people is None or not job.people.email:
        logger.info("job %s: nobody to notify", job_id)
        return False
    count = job.jobneeds.count()
    send_mail(
        subject=f"New maintenance job: {job.jobname}",
        message=(
            f"You are assigned to {job.jobname} on {job.asset}, {job.get_frequency_display().lower()} "
            f"from {job.fromdate:%Y-%m-%d} to {job.uptodate:%Y-%m-%d} ({count} occurrences)."
        ),
        from_email=None,
        recipient_list=[job.people.email],
    )
    return True


@shared_task
def autoclose_expired_jobneeds_task():
    """Periodic: close the open job occurrences whose expiry has passed, in one transaction."""
    from .services import autoclose_expired_jobneeds  # services import this module for the e-mail task

    with atomic_view_operation(durable=True):
        return autoclose_expired_jobneeds(author=None)
