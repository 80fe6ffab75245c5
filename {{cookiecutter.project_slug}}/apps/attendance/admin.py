from django.contrib import admin

from apps.core.admin import UserInfoAdmin

from .models import PeopleEventlog


@admin.register(PeopleEventlog)
class PeopleEventlogAdmin(UserInfoAdmin):
    """Corrections only: events are opened by checking in, so they cannot be added here."""

    list_display = ["people", "datefor", "punchintime", "punchouttime", "site"]
    list_select_related = ("people", "site")
    list_filter = ["datefor"]
    date_hierarchy = "datefor"

    def has_add_permission(self, request):
        return False
