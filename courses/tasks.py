"""Thin Celery wrappers: each calls the service of the same name."""

from celery import shared_task


@shared_task(name="courses.assignment_reminders_send", acks_late=True)
def assignment_reminders_send() -> int:
    from .services.reminders import assignment_reminders_send as run

    return run()
