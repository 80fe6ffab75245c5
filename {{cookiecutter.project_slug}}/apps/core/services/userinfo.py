"""Stamping records with who wrote them and where they belong."""

from django.core.exceptions import FieldDoesNotExist


def _requires(instance, field_name):
    """True when the model has a non-nullable foreign key ``field_name`` that is still empty."""
    try:
        field = instance._meta.get_field(field_name)
    except FieldDoesNotExist:
        return False
    return not field.null and getattr(instance, field.attname) is None


def save_userinfo(instance, user, *, client=None, site=None, save=True):
    """Set created-by/modified-by and the client/site on ``instance``, then save it.

    The creator is set once and never overwritten; the modifier is the latest writer. A record
    that must belong to a client and site (a non-nullable ``client``/``site``) and has none gets
    the ones passed in, else the user's own. Call it inside the write path's transaction so the
    stamp and the record commit together.
    """
    if user is not None and getattr(user, "is_authenticated", False):
        if instance.cuser_id is None:
            instance.cuser = user
        instance.muser = user
    if _requires(instance, "client"):
        instance.client_id = getattr(client, "pk", client) or getattr(user, "client_id", None)
    if _requires(instance, "site"):
        instance.site_id = getattr(site, "pk", site) or getattr(user, "site_id", None)
    if save:
        instance.save()
    return instance
