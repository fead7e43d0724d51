from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.my_referrals, name="mine"),
    path("referrals/<uuid:uuid>/", views.referral_detail, name="referral_detail"),
    path("families/<uuid:uuid>/refer/", views.refer, name="refer"),
    path("people/<uuid:uuid>/concern-flags/", views.concern_flag_add, name="concern_flag_add"),
    path("mash/", views.inbox, name="inbox"),
    path("mash/find/", views.contact_find, name="contact_find"),
    path("mash/families/<uuid:uuid>/contact/", views.contact_new, name="contact_new"),
    path("mash/contacts/new/", views.contact_new_family, name="contact_new_family"),
    path("mash/contacts/<uuid:uuid>/", views.contact_detail, name="contact_detail"),
    path("mash/contacts/<uuid:uuid>/assign/", views.contact_assign, name="contact_assign"),
    path("mash/contacts/<uuid:uuid>/rag/", views.contact_rate, name="contact_rate"),
    path("mash/contacts/<uuid:uuid>/screening/", views.contact_screen, name="contact_screen"),
    path("mash/contacts/<uuid:uuid>/duplicate/", views.contact_duplicate, name="contact_duplicate"),
    path("mash/contacts/<uuid:uuid>/withdraw/", views.contact_withdraw, name="contact_withdraw"),
    path("mash/contacts/<uuid:uuid>/decide/", views.contact_decide, name="contact_decide"),
    path("mash/contacts/<uuid:uuid>/transfer/", views.transfer_reference, name="transfer_reference"),
    path("mash/contacts/<uuid:uuid>/referrer-told/", views.referrer_told, name="referrer_told"),
]
