"""The Celery application. Tasks are adapters: they take ids, load, and call a service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")

app = Celery("earlyhelp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
