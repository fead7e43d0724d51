"""Early Help: multi-agency early help case management."""

from earlyhelp.celery import app as celery_app

__all__ = ("celery_app",)
