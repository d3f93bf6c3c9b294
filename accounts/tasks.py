"""Thin Celery wrappers: each calls the service of the same name."""

from celery import shared_task


@shared_task(name="accounts.invitations_enqueue", acks_late=True, ignore_result=True)
def invitations_enqueue(user_ids: list[int]) -> None:
    from .services import invitations_enqueue as run

    run(user_ids=user_ids)


# smtplib's errors are OSErrors: a mail server that is down is retried, not given up.
@shared_task(
    name="accounts.invitation_send",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=6,
)
def invitation_send(user_id: int) -> bool:
    from .services import invitation_send as run

    return run(user_id=user_id)
