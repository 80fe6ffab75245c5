"""The authentication backend that keeps guessers out before any password is checked."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import throttle

# The attribute of the Django request that carries a refusal to the middleware.
REFUSAL_ATTRIBUTE = "signin_refusal"


def mark_refused(request, refusal):
    """Note on the underlying Django request (also behind a DRF ``Request``) that sign-in was refused."""
    setattr(getattr(request, "_request", request), REFUSAL_ATTRIBUTE, refusal)


def was_refused(request):
    return getattr(getattr(request, "_request", request), REFUSAL_ATTRIBUTE, None)


class ThrottledModelBackend(ModelBackend):
    """``ModelBackend`` that refuses a throttled username or address and resets the count on success.

    Every view that calls ``django.contrib.auth.authenticate(request, ...)`` gets it: the admin
    login, ``LoginView`` and DRF's token endpoint. Raising ``PermissionDenied`` makes Django stop
    at once (no other backend is asked and no password hash is checked) and report the attempt
    through ``user_login_failed``. Calls without a request (``createsuperuser``, the shell, tests
    of other things) are not sign-ins from outside and are not throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        refusal = throttle.refusal(username, throttle.client_address(request))
        if refusal is not None:
            mark_refused(request, refusal)
            raise PermissionDenied("Too many failed sign-ins.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            throttle.reset_username(username)
        return user
