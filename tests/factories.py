import factory
from allauth.account.models import EmailAddress

from accounts.models import AudienceGroup, User
from units.models import Unit

PASSWORD = "Mat-khau-an-toan-2025"


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
