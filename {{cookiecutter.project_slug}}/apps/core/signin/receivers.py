"""Count each failed sign-in Django reports (``user_login_failed``)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from . import throttle
from .backends import mark_refused, was_refused


@receiver(user_login_failed, dispatch_uid="signin_throttle_count_failure")
def count_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Count the failure against its username and address; a refused attempt is not counted again.

    The attempt that reaches a limit is already answered 429, so the guesser learns at once.
    """
    if request is None or was_refused(request):
        return
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    refusal = throttle.record_failure(username, throttle.client_address(request))
    if refusal is not None:
        mark_refused(request, refusal)
