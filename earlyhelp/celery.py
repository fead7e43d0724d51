"""The Celery application. Tasks are adapters: they take ids, load, and call a service."""

import logging
import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")

app = Celery("earlyhelp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _logs_as_django_configures_them(loglevel=None, **kwargs) -> None:
    """A worker logs through Django's LOGGING, as the web does (JSON in production, each record with its task's id);
    `--loglevel` still sets the level."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@task_prerun.connect
def _task_log_started(task_id=None, **kwargs) -> None:
    from earlyhelp.core.request_log import task_log_started

    task_log_started(task_id)


@task_postrun.connect
def _task_log_finished(task_id=None, **kwargs) -> None:
    from earlyhelp.core.request_log import task_log_finished

    task_log_finished(task_id)
