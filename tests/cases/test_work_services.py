"""Raising and closing reminders by key: once while open, safe when two services raise the same one at once."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases.models import Task
from cases.services import work
from cases.services.work import task_close, task_raise, working_days_after

pytestmark = pytest.mark.django_db


def _raise(family, user, key="review_due:abc", **extra):
    fields = {
        "key": key,
        "kind": Task.Kind.REVIEW_DUE,
        "family": family,
        "title": "Review due",
        "due_on": timezone.localdate(),
        "assigned_to": user,
    }
    return task_raise(**(fields | extra))


def test_task_raise_creates_an_open_task_on_the_family_and_episode(own_family, cfs_worker_user):
    from tests.factories import AllocatedEpisodeFactory

    episode = AllocatedEpisodeFactory(family=own_family)
    task = _raise(own_family, cfs_worker_user, episode=episode)
    assert task.pk and task.status == Task.Status.OPEN
    assert (task.family, task.episode, task.assigned_to, task.kind) == (
        own_family,
        episode,
        cfs_worker_user,
        Task.Kind.REVIEW_DUE,
    )


def test_task_raise_returns_the_open_task_with_the_same_key(own_family, cfs_worker_user):
    first = _raise(own_family, cfs_worker_user)
    second = _raise(own_family, cfs_worker_user, title="Another title")
    assert second.pk == first.pk
    assert Task.objects.filter(key="review_due:abc").count() == 1


def test_task_raise_raises_again_once_the_first_is_done(own_family, cfs_worker_user):
    first = _raise(own_family, cfs_worker_user)
    task_close(key=first.key)
    second = _raise(own_family, cfs_worker_user)
    assert second.pk != first.pk and second.status == Task.Status.OPEN


def test_task_raise_for_a_team(own_family, lats):
    task = _raise(own_family, None, team=lats["tang-hall"], assigned_to=None)
    assert task.team == lats["tang-hall"] and task.assigned_to is None


def test_task_raise_refuses_a_task_without_a_key(own_family, cfs_worker_user):
    with pytest.raises(ValueError, match="needs a key"):
        _raise(own_family, cfs_worker_user, key="")


def test_task_raise_refuses_a_task_for_both_a_person_and_a_team(own_family, cfs_worker_user, lats):
    with pytest.raises(ValueError, match="one person or for one team"):
        _raise(own_family, cfs_worker_user, team=lats["tang-hall"])
    with pytest.raises(ValueError, match="one person or for one team"):
        _raise(own_family, None, assigned_to=None)


def test_task_raise_race_returns_the_task_the_other_raiser_saved(own_family, cfs_worker_user, monkeypatch):
    """Both raisers looked before either saved: the database's unique open key refuses the second."""
    theirs = _raise(own_family, cfs_worker_user)
    looks = iter([None])
    real = work._open_with_key
    monkeypatch.setattr(work, "_open_with_key", lambda key: next(looks, None) or real(key))
    mine = _raise(own_family, cfs_worker_user)
    assert mine.pk == theirs.pk
    assert Task.objects.filter(key=theirs.key).count() == 1


def test_task_close_marks_the_open_task_done(own_family, cfs_worker_user):
    task = _raise(own_family, cfs_worker_user)
    closed = task_close(key=task.key)
    task.refresh_from_db()
    assert closed.pk == task.pk
    assert task.status == Task.Status.DONE and task.completed_on == timezone.localdate()


def test_task_close_without_an_open_task_does_nothing(own_family, cfs_worker_user):
    task = _raise(own_family, cfs_worker_user)
    task_close(key=task.key)
    assert task_close(key=task.key) is None
    assert task_close(key="review_due:nothing") is None


def test_working_days_after_skips_weekends_and_bank_holidays():
    friday = date(2025, 12, 19)
    assert working_days_after(friday, 1) == friday + timedelta(days=3)  # Monday 22nd
    assert working_days_after(friday, 4) == friday + timedelta(days=10)  # over Christmas and Boxing Day: Mon 29th
