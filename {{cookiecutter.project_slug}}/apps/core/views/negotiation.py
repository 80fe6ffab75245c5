"""Which kind of answer a caller wants: a page (a browser) or JSON (everything else)."""


def wants_json(request):
    """True unless the caller is a browser asking for a page.

    Browsers always name ``text/html`` in ``Accept``; ``fetch``, XHR, curl and API clients do not
    (or prefer JSON). htmx requests are page requests: they swap HTML fragments.
    """
    if getattr(request, "htmx", False):
        return False
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    if "text/html" not in request.headers.get("Accept", ""):
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"
