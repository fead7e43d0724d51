from django.urls import path

from locality import views

app_name = "locality"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<uuid:uuid>/", views.service_detail, name="service_detail"),
]
