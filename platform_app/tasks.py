from celery import shared_task


@shared_task(name="platform_app.ping")
def ping() -> str:
    """A round trip through the broker and a worker, for operators and tests."""
    return "pong"
