"""The Celery app for `celery -A worker.celery_app worker|beat`: the Flask app's Celery."""

from pingsvc import create_app

flask_app = create_app()
app = flask_app.extensions["celery"]
