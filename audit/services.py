from typing import Any

from django.db import models

from .models import AuditEvent


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # allauth's reading honours the trusted proxy count (TRUSTED_PROXY_COUNT).
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # an address is a detail of the record, never a reason to lose it
        return None


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_repr: str = "",
    details: dict[str, Any] | None = None,
    request=None,
) -> AuditEvent:
    """Record one event; call it inside the transaction that makes the change."""
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if is_person else None,
        actor_email=getattr(actor, "email", "") if is_person else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=(target_repr or (str(target) if target is not None else ""))[:300],
        details=details or {},
        ip_address=_client_ip(request),
    )
    event.save()
    return event
