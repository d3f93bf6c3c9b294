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


def course_build(
    *,
    title: str = "Kỹ năng số cơ bản",
    slug: str | None = None,
    modules: int = 2,
    lessons_per_module: int = 2,
    quiz: bool = True,
    sequential: bool = True,
    max_attempts: int = 3,
    status: str = "published",
):
    """A published course of reading lessons, ending with a two-question quiz."""
    from django.utils.text import slugify

    from courses.models import Choice, Course, Lesson, Module, Question
    from courses.services import course_search_text_refresh

    course = Course.objects.create(
        title=title,
        slug=slug or slugify(title.replace("đ", "d").replace("Đ", "D")) or "khoa-hoc",
        summary="Tóm tắt khóa học.",
        competency_area="safety",
        audiences=",citizen,official,",
        status=status,
        owner_unit=Unit.objects.get(code="VN"),
        sequential=sequential,
    )
    module = None
    for m in range(1, modules + 1):
        module = Module.objects.create(course=course, title=f"Chương {m}", position=m)
        for n in range(1, lessons_per_module + 1):
            Lesson.objects.create(
                module=module,
                course=course,
                title=f"Bài {m}.{n}",
                kind="reading",
                position=n,
                body=f"<p>Nội dung bài {m}.{n}</p>",
            )
    if quiz:
        lesson = Lesson.objects.create(
            module=module,
            course=course,
            title="Bài kiểm tra",
            kind="quiz",
            position=lessons_per_module + 1,
            pass_mark=100,
            max_attempts=max_attempts,
        )
        single = Question.objects.create(
            lesson=lesson, text="Mã OTP có được chia sẻ không?", position=1
        )
        Choice.objects.create(question=single, text="Không bao giờ", is_correct=True, position=1)
        Choice.objects.create(question=single, text="Có, nếu là ngân hàng gọi", position=2)
        multiple = Question.objects.create(
            lesson=lesson,
            text="Chọn các mật khẩu mạnh",
            kind="multiple",
            position=2,
            explanation="Mật khẩu mạnh dài và khó đoán.",
        )
        Choice.objects.create(
            question=multiple, text="Hoa-Sen-Ban-Mai-2025!", is_correct=True, position=1
        )
        Choice.objects.create(question=multiple, text="123456", position=2)
        Choice.objects.create(
            question=multiple, text="Xe-dap-do#Ha-Long", is_correct=True, position=3
        )
    course_search_text_refresh(course=course)
    return course


def quiz_answers(lesson, *, correct: bool = True) -> dict[int, set[int]]:
    answers = {}
    for question in lesson.questions.all():
        choices = [c.pk for c in question.choices.all() if c.is_correct == correct]
        answers[question.pk] = set(choices[:1] if question.kind == "single" else choices)
    return answers


def sign_in(client, user) -> None:
    """Log `user` in as a completed log-in does, second factor included (officials and staff
    need it for the staff areas); the log-in forms themselves are tested in tests/accounts."""
    from accounts.services import session_second_factor_mark

    client.force_login(user)
    session = client.session
    session_second_factor_mark(session=session)
    session.save()


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
