from django.conf import settings


def site(request):
    """The project's name, for page titles and the header.

    Named ``project_name``: Django's auth views put their own ``site_name`` (the request's host)
    into the context, which would otherwise replace it on the sign-in and password pages.
    """
    return {"project_name": settings.SITE_NAME}
