"""The one guard every state machine uses: a record moves only along its model's TRANSITIONS table."""


def status_move(record, status: str, *, error: type[Exception], noun: str) -> None:
    """Set `record.status` if `type(record).TRANSITIONS` allows it; otherwise raise `error` saying why."""
    model = type(record)
    if status not in model.TRANSITIONS.get(record.status, set()):
        target = dict(model.Status.choices).get(status, status).lower()
        raise error(f"{noun} that is {record.get_status_display().lower()} cannot become {target}")
    record.status = status
