"""Writes shared by every part of an episode's work: moving its status, and refusing changes once it has ended."""

from cases.models import Episode
from earlyhelp.core.states import status_move


class EpisodeError(Exception):
    """A change to an episode's work that the rules refuse; the message is shown to the user."""


def episode_require_open(episode: Episode) -> None:
    """Refuse any change to the work of an episode that has closed (or was declined, stepped up or transferred):
    a closed episode is read-only until a manager reopens it."""
    if not episode.is_open:
        raise EpisodeError(
            f"This episode is {episode.get_status_display().lower()}, so its records can no longer be changed"
        )


def episode_move(*, episode: Episode, status: str) -> Episode:
    """Move an episode along its state machine and save it (the caller holds the transaction)."""
    status_move(episode, status, error=EpisodeError, noun="An episode")
    episode.save(update_fields=["status", "updated_at"])
    return episode
