"""A task and the function that sends it, for the tests of ``assert_all_or_nothing``.

``announce`` sends at once with ``.delay()``: right from code that runs after a commit, wrong from
inside a transaction. Called from another module, the static check cannot see which it is.
"""

from celery import shared_task
from django.core import mail

from apps.core.outbox.consumer import IdempotentTask


@shared_task(name="onboarding.tests.announce_group", base=IdempotentTask)
def announce_group(group_id):
    mail.send_mail("New lookup group", f"Group {group_id} was added.", None, ["ops@example.com"])


def announce(group):
    announce_group.delay(group.pk)
