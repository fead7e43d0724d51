from reporting.views import annex_a, audits, dashboard, training

app_name = "reporting"
urlpatterns = [
    *dashboard.urlpatterns,
    *annex_a.urlpatterns,
    *audits.urlpatterns,
    *training.urlpatterns,
]
