"""Template context shared by every page: the navigation a user's role allows."""

from django.http import HttpRequest
from django.urls import reverse

from earlyhelp.accounts.otp import session_verified_at
from earlyhelp.core import perms

_NAVIGATION = (
    ("Home", "core:home", None),
    ("MASH inbox", "referrals:inbox", perms.TRIAGE_CONTACT),
    ("Find a person or family", "cases:search", perms.VIEW_FAMILY),
    ("Families", "cases:family_list", perms.VIEW_FAMILY),
    ("Add a family", "cases:family_create", perms.ADD_FAMILY),
    ("My caseload", "cases:caseload", perms.VIEW_FAMILY),
    ("My tasks", "cases:my_tasks", perms.VIEW_FAMILY),
    ("My actions", "cases:my_actions", perms.VIEW_FAMILY),
    ("Team caseload", "cases:team_caseload", perms.VIEW_TEAM_CASELOAD),
    ("Allocations", "cases:allocation_queue", perms.ALLOCATE_EPISODE),
    ("My referrals", "referrals:mine", perms.REFER),
    ("Service directory", "locality:directory", perms.VIEW_DIRECTORY),
    ("Supporting Families", "cases:sf_list", perms.MANAGE_SUPPORTING_FAMILIES),
    ("Indicators", "reporting:dashboard", perms.VIEW_INDICATORS),
    ("Annex A", "reporting:annex_a", perms.DOWNLOAD_ANNEX_A),
    ("Case audits", "reporting:case_audits", perms.VIEW_CASE_AUDITS),
    ("Training", "reporting:training", perms.VIEW_TRAINING),
    ("Break-the-glass uses", "governance:break_glass_report", perms.VIEW_BREAK_GLASS_REPORT),
    ("Access log", "audit:access_log", perms.VIEW_ACCESS_EVENTS),
    ("Restricted records", "governance:restrictions", perms.MANAGE_RESTRICTIONS),
    ("Retention reviews", "governance:retention_queue", perms.REVIEW_RETENTION),
    ("Subject access requests", "governance:subject_access_list", perms.SUBJECT_ACCESS),
)


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    session = getattr(request, "session", None)
    if session is not None and session_verified_at(session) is None:
        return {"navigation": []}  # the password given, not yet the code: only the two-factor pages are open
    items = [
        {"label": label, "url": reverse(url_name), "active": False}
        for label, url_name, permission in _NAVIGATION
        if not permission or user.has_perm(permission)
    ]
    if user.is_staff:
        items.append({"label": "Administration", "url": reverse("admin:index"), "active": False})
    matches = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"navigation": items}
