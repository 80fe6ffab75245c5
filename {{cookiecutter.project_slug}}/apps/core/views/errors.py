"""Django's own error answers (400, 403, 404, 500) as JSON under ``/api/``, as pages elsewhere.

DRF answers the errors its views raise, but a path the URL patterns do not match (an id of the
wrong shape, ``/api/v1/people/1.5/``) or a request refused before any view never reaches DRF:
an API client would get Django's HTML page. These handlers give it the ``{"detail": ...}`` body
DRF gives for the same status.
"""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "A server error occurred."}, status=500)
    return defaults.server_error(request)
