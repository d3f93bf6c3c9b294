"""Demo accounts for a local run: one of each role, with known passwords."""

from dataclasses import dataclass

from units.models import Unit

from .models import AudienceGroup, Role
from .services import unit_role_grant, user_create_verified

HAI_PHONG_CODE = "31"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


DEMO_PASSWORD = "hocvuso2025"


def demo_accounts_create() -> list[DemoAccount]:
    hai_phong = Unit.objects.get(code=HAI_PHONG_CODE)
    commune = hai_phong.children.order_by("code").first()
    learner, _ = user_create_verified(
        email="hocvien@example.com",
        password=DEMO_PASSWORD,
        full_name="Nguyễn Thị Hồng Nhung",
        audience_group=AudienceGroup.CITIZEN,
        home_unit=commune,
    )
    official, _ = user_create_verified(
        email="canbo@example.com",
        password=DEMO_PASSWORD,
        full_name="Trần Văn Minh",
        audience_group=AudienceGroup.OFFICIAL,
        home_unit=commune,
    )
    unit_role_grant(user=official, role=Role.OFFICIAL, unit=hai_phong)
    author, _ = user_create_verified(
        email="quantri@example.com",
        password=DEMO_PASSWORD,
        full_name="Lê Thu Hà",
        audience_group=AudienceGroup.OFFICIAL,
        home_unit=commune,
        is_staff=True,
    )
    unit_role_grant(user=author, role=Role.CONTENT_ADMIN, unit=hai_phong)
    user_create_verified(
        email="admin@example.com",
        password=DEMO_PASSWORD,
        full_name="Quản trị hệ thống",
        is_staff=True,
        is_superuser=True,
    )
    return [
        DemoAccount(_label, email, DEMO_PASSWORD)
        for _label, email in [
            ("learner / học viên", "hocvien@example.com"),
            ("official of Hải Phòng / cán bộ theo dõi", "canbo@example.com"),
            ("content administrator / quản trị nội dung", "quantri@example.com"),
            ("superuser / quản trị hệ thống", "admin@example.com"),
        ]
    ]
