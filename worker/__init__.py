"""The Celery side of pingsvc: the app for `celery -A worker.celery_app` and thin tasks."""
