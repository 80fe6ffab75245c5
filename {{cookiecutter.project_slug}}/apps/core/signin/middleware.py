"""Answer a refused sign-in with 429 and ``Retry-After``: JSON for API callers, a page for browsers."""

from django.http import JsonResponse
from django.template.response import TemplateResponse

from .backends import was_refused


def _wants_json(request, response):
    if response.get("Content-Type", "").startswith("application/json"):
        return True
    return request.path.startswith("/api/") and not request.accepts("text/html")


class SignInThrottleMiddleware:
    """Replace the answer of a view whose sign-in was refused by the throttle.

    The login view itself only knows that authentication failed; this middleware knows why, from
    the mark the backend or the failure receiver left on the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        refusal = was_refused(request)
        if refusal is None:
            return response
        minutes = max(1, round(refusal.retry_after / 60))
        message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        if _wants_json(request, response):
            refused = JsonResponse({"detail": message, "retry_after": refusal.retry_after}, status=429)
        else:
            context = {"message": message, "retry_after": refusal.retry_after}
            refused = TemplateResponse(request, "core/signin_throttled.html", context, status=429)
            refused.render()
        refused["Retry-After"] = str(refusal.retry_after)
        refused["Cache-Control"] = "no-store"
        return refused
