from django.urls import path

from earlyhelp.accounts import views
from earlyhelp.accounts.views import sessions, two_factor

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("notifications/<uuid:uuid>/read/", views.notification_read, name="notification_read"),
    *two_factor.urlpatterns,
    *sessions.urlpatterns,
]
