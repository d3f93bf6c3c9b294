"""People: learners, signed-in clients, second factors and the sign-up form's data."""

import factory
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import AudienceGroup, User
from units.models import Unit

PASSWORD = "Mat-khau-an-toan-2025"
SIGNUP_PASSWORD = "Hoc-tap-so-2025!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Học viên Số {n}")
    audience_group = AudienceGroup.CITIZEN
    home_unit = factory.LazyFunction(lambda: Unit.objects.filter(code="11560").first())
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def sign_in(client, user) -> None:
    """Log `user` in as a completed log-in does, second factor included (officials and staff
    need it for the staff areas); the log-in forms themselves are tested in tests/accounts."""
    from accounts.services import session_second_factor_mark

    client.force_login(user)
    session = client.session
    session_second_factor_mark(session=session)
    session.save()


def client_for(user: User) -> Client:
    """A browser of its own, signed in as `user`, showing the site in English."""
    client = Client()
    sign_in(client, user)
    client.cookies["django_language"] = "en"
    return client


def totp_secret_for(email: str) -> str:
    """A fixed authenticator-app key per test account, so a journey can type its codes."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha1(email.encode()).digest()).decode()


def totp_enable(user) -> str:
    """The account has set up its authenticator app (officials and staff must have one)."""
    from allauth.mfa.totp.internal.auth import TOTP

    secret = totp_secret_for(user.email)
    TOTP.activate(user, secret)
    return secret


def signup_data(**overrides) -> dict:
    """What the sign-up form posts for an official of Phường Hồng Bàng (Hải Phòng)."""
    commune = Unit.objects.get(code="11311")
    data = {
        "full_name": "  Trần   Văn An ",
        "email": "an.tran@example.com",
        "audience_group": "official",
        "province": "31",
        "home_unit": str(commune.pk),
        "workplace_unit": "",
        "phone": "+84 912.345.678",
        "password1": SIGNUP_PASSWORD,
        "password2": SIGNUP_PASSWORD,
    }
    data.update(overrides)
    return data
