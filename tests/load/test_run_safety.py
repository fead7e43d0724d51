"""The load test writes to its database, so it refuses anything but a local PostgreSQL database named for it."""

import pytest

from tests.load.run import LoadError, refuse_unsafe


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/earlyhelp",  # a developer's own database
        "postgres://postgres@db.example.org:5432/earlyhelp_load",  # not this machine
        "sqlite:///earlyhelp_load.sqlite3",
        "postgres://postgres@127.0.0.1:5432/load;drop",
    ],
)
def test_the_load_test_refuses_a_database_it_must_not_write_to(url):
    with pytest.raises(LoadError):
        refuse_unsafe(url)


def test_the_load_test_accepts_its_own_local_database():
    refuse_unsafe("postgres://postgres@127.0.0.1:5432/earlyhelp_load")
