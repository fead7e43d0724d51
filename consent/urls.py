from django.urls import path

from consent import views

app_name = "consent"
urlpatterns = [
    path("families/<uuid:uuid>/consent/new/", views.consent_new, name="new"),
    path("families/<uuid:uuid>/consent/override/", views.consent_override, name="override"),
    path("families/<uuid:uuid>/consent/<uuid:consent_uuid>/", views.consent_detail, name="detail"),
    path("families/<uuid:uuid>/consent/<uuid:consent_uuid>/answer/", views.consent_answer, name="answer"),
    path("families/<uuid:uuid>/consent/<uuid:consent_uuid>/withdraw/", views.consent_withdraw, name="withdraw"),
    path("families/<uuid:uuid>/consent/<uuid:consent_uuid>/evidence/", views.consent_evidence, name="evidence"),
    path("families/<uuid:uuid>/information-shared/", views.disclosure_list, name="disclosures"),
    path("families/<uuid:uuid>/share/", views.family_share, name="share"),
]
