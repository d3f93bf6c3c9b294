"""Demo accounts for a local run: one of each role, with known passwords."""

from dataclasses import dataclass

from units.models import Unit

from .models import AudienceGroup, Role
from .services import unit_role_grant, user_create_verified

HAI_PHONG_CODE = "31"
DEMO_PASSWORD = "hocvuso2025"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoPerson:
    label: str
    email: str
    full_name: str
    audience_group: str = ""
    role: str = ""  # held over Hải Phòng
    in_commune: bool = True  # lives in Hải Phòng's first commune
    is_staff: bool = False
    is_superuser: bool = False


DEMO_PEOPLE = [
    DemoPerson(
        "learner / học viên",
        "hocvien@example.com",
        "Nguyễn Thị Hồng Nhung",
        AudienceGroup.CITIZEN,
    ),
    DemoPerson(
        "official of Hải Phòng / cán bộ theo dõi",
        "canbo@example.com",
        "Trần Văn Minh",
        AudienceGroup.OFFICIAL,
        role=Role.OFFICIAL,
    ),
    DemoPerson(
        "content administrator / quản trị nội dung",
        "quantri@example.com",
        "Lê Thu Hà",
        AudienceGroup.OFFICIAL,
        role=Role.CONTENT_ADMIN,
        is_staff=True,
    ),
    DemoPerson(
        "superuser / quản trị hệ thống",
        "admin@example.com",
        "Quản trị hệ thống",
        in_commune=False,
        is_staff=True,
        is_superuser=True,
    ),
]


def demo_accounts_create() -> list[DemoAccount]:
    hai_phong = Unit.objects.get(code=HAI_PHONG_CODE)
    commune = hai_phong.children.order_by("code").first()
    for person in DEMO_PEOPLE:
        user, _created = user_create_verified(
            email=person.email,
            password=DEMO_PASSWORD,
            full_name=person.full_name,
            audience_group=person.audience_group,
            home_unit=commune if person.in_commune else None,
            is_staff=person.is_staff,
            is_superuser=person.is_superuser,
        )
        if person.role:
            unit_role_grant(user=user, role=person.role, unit=hai_phong)
    return [DemoAccount(person.label, person.email, DEMO_PASSWORD) for person in DEMO_PEOPLE]
