from django.contrib import admin

from apps.core.admin import UserInfoAdmin

from .models import Bt, SuperTypeAssist, TypeAssist


@admin.register(Bt)
class BtAdmin(UserInfoAdmin):
    list_display = ["bucode", "buname", "identifier", "parent", "enable"]
    list_select_related = ("parent",)
    list_filter = ["identifier", "enable"]
    search_fields = ["bucode", "buname"]


@admin.register(SuperTypeAssist)
class SuperTypeAssistAdmin(UserInfoAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(TypeAssist)
class TypeAssistAdmin(UserInfoAdmin):
    list_display = ["tacode", "taname", "tatype", "client"]
    list_select_related = ("tatype", "client")
    list_filter = ["tatype"]
    search_fields = ["tacode", "taname"]
