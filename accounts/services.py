from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from allauth.mfa.signals import authenticator_added
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditAction
from audit.services import audit_record
from units.models import Unit

from .models import Role, UnitRole, User

PLATFORM_NAME = "Bình dân học vụ số"


@transaction.atomic
def user_create_verified(
    *,
    email: str,
    password: str,
    full_name: str,
    audience_group: str = "",
    home_unit: Unit | None = None,
    workplace_unit: Unit | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> tuple[User, bool]:
    """Create (or leave as is) an account whose email is already confirmed. Idempotent."""
    email = email.lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User(
            email=email,
            full_name=full_name,
            audience_group=audience_group,
            home_unit=home_unit,
            workplace_unit=workplace_unit,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        user.set_password(password)
        user.full_clean()
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def unit_role_grant(
    *, user: User, role: Role | str, unit: Unit, actor: User | None = None, request=None
) -> UnitRole:
    """Give `user` the role over `unit`'s subtree (one unit per role: a new grant moves it)."""
    before = UnitRole.objects.filter(user=user, role=role).select_related("unit").first()
    grant, _ = UnitRole.objects.update_or_create(user=user, role=role, defaults={"unit": unit})
    if before is None or before.unit_id != unit.pk:
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANTED,
            target=user,
            target_repr=f"{user.email} — {grant.get_role_display()} — {unit}",
            details={
                "role": str(role),
                "unit": unit.code,
                "previous_unit": before.unit.code if before else None,
            },
            request=request,
        )
    return grant


@transaction.atomic
def unit_role_revoke(*, grant: UnitRole, actor: User | None = None, request=None) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_REMOVED,
        target=grant.user,
        target_repr=f"{grant.user.email} — {grant.get_role_display()} — {grant.unit}",
        details={"role": grant.role, "unit": grant.unit.code},
        request=request,
    )
    grant.delete()


@transaction.atomic
def account_rights_record(
    *, user: User, changes: dict, actor: User | None = None, request=None
) -> None:
    """Staff, superuser or group membership changed in the admin."""
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_RIGHTS_CHANGED,
        target=user,
        target_repr=user.email,
        details=changes,
        request=request,
    )


# Invitations of imported learners ---------------------------------------------------------------
INVITATION_BATCH = 500


def invitations_schedule(*, user_ids: list[int]) -> None:
    """Called on commit: one message per 500 learners, so a big import returns at once."""
    from .tasks import invitations_enqueue as invitations_enqueue_task

    for start in range(0, len(user_ids), INVITATION_BATCH):
        invitations_enqueue_task.delay(user_ids[start : start + INVITATION_BATCH])


def invitations_enqueue(*, user_ids: list[int]) -> None:
    """In a worker: one invitation task per learner, over one broker connection.

    Run twice (a redelivered batch), it queues duplicates that invitation_send ignores.
    """
    from .tasks import invitation_send as invitation_send_task

    with invitation_send_task.app.producer_or_acquire() as producer:
        for user_id in user_ids:
            invitation_send_task.apply_async((user_id,), producer=producer)


def invitation_set_password_url(*, user: User) -> str:
    """The absolute link where an invited learner chooses a password (allauth's reset view)."""
    # allauth checks keys with its own generator (it also hashes the email addresses), so a
    # key from django.contrib.auth's default_token_generator would be refused.
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def invitation_message(*, user: User) -> EmailMultiAlternatives:
    adapter = get_adapter()
    context = {
        "full_name": user.full_name,
        "email": user.email,
        "set_password_url": invitation_set_password_url(user=user),
        "password_reset_url": settings.SITE_URL + reverse("account_reset_password"),
        "site_url": settings.SITE_URL,
        "site_name": PLATFORM_NAME,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("account/email/invitation_subject.txt", context)
    subject = adapter.format_email_subject(" ".join(subject.splitlines()).strip())
    body = render_to_string("account/email/invitation_message.txt", context).strip()
    return EmailMultiAlternatives(subject, body, adapter.get_from_email(), [user.email])


def invitation_send(*, user_id: int) -> bool:
    """Email an imported learner their set-your-password link, once. True if sent now.

    The row lock makes a duplicate or redelivered task wait, then see invited_at and stop.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or user.invited_at is not None or not user.is_active:
            return False
        if user.has_usable_password():  # already chose a password ("forgot password")
            return False
        with translation.override(settings.LANGUAGE_CODE):
            message = invitation_message(user=user)
        message.send()
        User.objects.filter(pk=user.pk).update(invited_at=timezone.now())
    return True


def invitation_accept(*, user: User) -> bool:
    """Setting a password from the invitation link proves the mailbox: mark it verified."""
    if user.invited_at is None:
        return False
    updated = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=False
    ).update(verified=True)
    return bool(updated)


@receiver(password_reset, dispatch_uid="accounts.invitation_accept")
def _invitation_accept_on_password_reset(sender, request, user, **kwargs) -> None:
    invitation_accept(user=user)


# Second factor ---------------------------------------------------------------------------------
# Set when the user proves a second factor outside a log-in (activating TOTP in this session).
SECOND_FACTOR_SESSION_KEY = "accounts_second_factor_at"
# Where the user was going when they were sent to set up the second factor.
SECOND_FACTOR_NEXT_SESSION_KEY = "accounts_second_factor_next"


def session_second_factor_mark(*, session) -> None:
    """This session has proven a second factor (set up just now, or signed in by a tool)."""
    session[SECOND_FACTOR_SESSION_KEY] = timezone.now().isoformat()


@receiver(authenticator_added, dispatch_uid="accounts.second_factor_mark")
def _second_factor_mark(sender, request, user, authenticator, **kwargs) -> None:
    if request is not None and request.user.pk == user.pk:
        session_second_factor_mark(session=request.session)


# Right to erasure ---------------------------------------------------------------------------
ERASED_NAME = "Người học đã xóa tài khoản"


@transaction.atomic
def user_erase(*, user: User, actor: User | None = None, request=None) -> User:
    """Forget the person, keep the counts: name, email, phone, password, second factor, roles
    and sessions go; the unit and audience group stay, so every figure stays as it was, except
    that they are no longer a registered learner."""
    from allauth.mfa.models import Authenticator

    from .signals import user_erased

    user = User.objects.select_for_update().get(pk=user.pk)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_ERASED,
        target=user,
        target_repr=f"#{user.pk}",
        request=request,
    )
    user.full_name = ERASED_NAME
    user.email = f"erased-{user.pk}@erased.invalid"
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.invited_at = None
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    UnitRole.objects.filter(user=user).delete()
    user_erased.send(sender=User, user=user)
    return user


def roles_changed(sender, instance, **kwargs) -> None:
    """A role was granted, moved or removed: the user's menus forget what they knew."""
    from django.core.cache import cache

    from .selectors import roles_cache_key

    key = roles_cache_key(instance.user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)
