"""Choose the database alias of a request from its host name."""

from django.conf import settings
from django.http import Http404, HttpResponseNotFound

from apps.core.services.transaction_manager import use_database


def alias_for_host(host):
    """The alias ``TENANT_HOSTS`` maps ``host`` (without port) to; Http404 for an unknown host."""
    alias = settings.TENANT_HOSTS.get(host.split(":")[0].lower())
    if alias is None or alias not in settings.DATABASES:
        raise Http404("Unknown tenant.")
    return alias


class TenantRoutingMiddleware:
    """Serve each request from its host's database; an unknown host gets 404, never another's data.

    The alias is held in a context variable for the duration of the request, so the router, the
    transaction helpers and the Celery tasks scheduled by the request all see the same one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            alias = alias_for_host(request.get_host())
        except Http404:
            return HttpResponseNotFound("Unknown tenant.")
        with use_database(alias):
            return self.get_response(request)
