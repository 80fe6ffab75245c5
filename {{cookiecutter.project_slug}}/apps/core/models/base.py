"""Fields every operational record carries: who created and last changed it, and when."""

import uuid

from django.conf import settings
from django.db import models


class BaseModel(models.Model):
    """Abstract base: a public UUID plus created/modified user and time.

    The user fields are filled by ``apps.core.services.userinfo.save_userinfo`` inside the write
    path's transaction, never by a separate save afterwards.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cuser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="created by",
    )
    muser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modified by",
    )
    cdtz = models.DateTimeField("created at", auto_now_add=True)
    mdtz = models.DateTimeField("modified at", auto_now=True)

    class Meta:
        abstract = True
