"""The simulated people of the load benchmark: learners and officials who log in with a password
the locustfile knows, spread over Hải Phòng's communes (created once, reused)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Role, UnitRole, User
from courses.models import Course, CourseStatus
from units.models import COMMUNE_KINDS, Unit

from ..dataset import CITY_CODE
from .names import LEARNER_EMAIL, OFFICIAL_EMAIL, PASSWORD, totp_secret


@transaction.atomic
def people_prepare(*, learners: int, officials: int) -> dict:
    """Create what is missing; the same accounts serve every run."""
    city = Unit.objects.get(code=CITY_CODE)
    communes = list(Unit.objects.filter(parent=city, kind__in=COMMUNE_KINDS).order_by("code"))
    # One hash for all, as production hashes (whatever hashers this process uses).
    hashed = make_password(PASSWORD, hasher="pbkdf2_sha256")
    wanted = {LEARNER_EMAIL.format(n=n): n for n in range(learners)}
    existing = set(User.objects.filter(email__in=wanted).values_list("email", flat=True))
    new = [
        User(
            email=email,
            full_name=f"Học viên tải thử {n}",
            audience_group=("citizen", "official", "worker", "student")[n % 4],
            home_unit=communes[n % len(communes)],
            password=hashed,
        )
        for email, n in wanted.items()
        if email not in existing
    ]
    User.objects.bulk_create(new, batch_size=2000)
    _verified(list(wanted))
    for n in range(officials):
        email = OFFICIAL_EMAIL.format(n=n)
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": f"Cán bộ tải thử {n}", "password": hashed}
        )
        UnitRole.objects.update_or_create(user=user, role=Role.OFFICIAL, defaults={"unit": city})
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(user, totp_secret(email))
        _verified([email])
    courses = Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("pk")
    return {
        "learners": learners,
        "officials": officials,
        "courses": [course.slug for course in courses],
        "city": CITY_CODE,
        "communes": [commune.code for commune in communes[:20]],
    }


def _verified(emails: list[str]) -> None:
    ids = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    known = set(EmailAddress.objects.filter(email__in=emails).values_list("email", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=ids[email], email=email, verified=True, primary=True)
            for email in emails
            if email not in known
        ],
        batch_size=2000,
    )
