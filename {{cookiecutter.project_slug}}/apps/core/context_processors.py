from django.conf import settings


def site(request):
    """The project's name, for page titles."""
    return {"site_name": settings.SITE_NAME}
