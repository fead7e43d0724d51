"""Load test: locust users against gunicorn (`python -m tests.load.run`)."""
