from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from consent.models import LawfulBasis, PrivacyNotice


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(SimpleHistoryAdmin):
    list_display = ["version", "effective_from"]


@admin.register(LawfulBasis)
class LawfulBasisAdmin(SimpleHistoryAdmin):
    list_display = ["record_type", "article_6", "article_9"]
