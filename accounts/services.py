from allauth.account.models import EmailAddress
from django.db import transaction

from units.models import Unit

from .models import Role, UnitRole, User


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


def unit_role_grant(*, user: User, role: Role | str, unit: Unit) -> UnitRole:
    grant, _ = UnitRole.objects.update_or_create(user=user, role=role, defaults={"unit": unit})
    return grant
