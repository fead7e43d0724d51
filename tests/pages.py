"""Reading a page the test client fetched: its HTML (after checking it answered 200) and its flash messages."""

from django.contrib.messages import get_messages


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]
