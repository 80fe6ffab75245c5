from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import People, PeopleOrganizational, PeopleProfile


class PeopleProfileInline(admin.StackedInline):
    model = PeopleProfile
    can_delete = False


class PeopleOrganizationalInline(admin.StackedInline):
    model = PeopleOrganizational
    fk_name = "people"
    can_delete = False


@admin.register(People)
class PeopleAdmin(UserAdmin):
    list_display = ["peoplecode", "peoplename", "username", "client", "site", "is_staff", "is_active"]
    list_select_related = ("client", "site")
    list_filter = ["is_staff", "is_active", "client"]
    search_fields = ["peoplecode", "peoplename", "username", "email"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Organization", {"fields": ["peoplecode", "peoplename", "mobno", "client", "site"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "peoplecode", "peoplename", "password1", "password2"]}),
    ]

    def get_inlines(self, request, obj):
        # The receivers create both rows when the person is added; edit them afterwards.
        return [PeopleProfileInline, PeopleOrganizationalInline] if obj else []
