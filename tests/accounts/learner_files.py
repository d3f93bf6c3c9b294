"""Learner files as schools and wards send them: CSV in every encoding, Excel workbooks, and
the three learners they hold once imported."""

import codecs
import csv
import io
import unicodedata

from allauth.account.models import EmailAddress
from openpyxl import Workbook

from accounts.models import Role, UnitRole, User
from tests.accounts.factories import UserFactory
from units.models import Unit

HEADINGS_VI = ["Họ và tên", "Email", "Số điện thoại", "Đối tượng", "Mã đơn vị", "Mã nơi làm việc"]
HEADINGS_EN = ["full_name", "EMAIL", "Phone", "Audience group", "unit_code", "Workplace unit code"]
HEADINGS_FOLDED = [
    "HO VA TEN",
    "e-mail",
    "so dien thoai",
    "doi tuong",
    "ma don vi",
    "MA NOI LAM VIEC",
]
LEARNERS = [
    ["Nguyễn Thị Hồng Nhung", "Nhung.Nguyen@Example.vn", "0912 345 678", "Người dân", "11311", ""],
    [
        "Trần Văn Đức",
        "duc.tran@example.vn",
        "",
        "Cán bộ, công chức, viên chức",
        "11560",
        "SO-KHCN-HP",
    ],
    [
        "Lê Thị Ánh Tuyết",
        "tuyet.le@example.vn",
        "+84 987.654.321",
        "nguoi lao dong trong doanh nghiep",
        "11311",
        "DN-CANG-HP",
    ],
]
EXPECTED = {
    "nhung.nguyen@example.vn": ("Nguyễn Thị Hồng Nhung", "0912345678", "citizen", "11311", None),
    "duc.tran@example.vn": ("Trần Văn Đức", "", "official", "11560", "SO-KHCN-HP"),
    "tuyet.le@example.vn": ("Lê Thị Ánh Tuyết", "0987654321", "worker", "11311", "DN-CANG-HP"),
}
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def content_admin_of(code: str, **kwargs) -> User:
    user = UserFactory(**{"audience_group": "official", "is_staff": True, **kwargs})
    UnitRole.objects.create(user=user, role=Role.CONTENT_ADMIN, unit=Unit.objects.get(code=code))
    return user


def superuser() -> User:
    return UserFactory(is_staff=True, is_superuser=True, home_unit=None)


def csv_text(rows, headings=HEADINGS_VI, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue()


def cp1258_encode(text: str) -> bytes:
    """As Windows writes Vietnamese: letters like ê, ơ, ă precomposed, tone marks combining."""
    letters: list[list[str]] = []  # [base with its other marks, tone marks]
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            letters[-1][1 if char in TONE_MARKS else 0] += char
        else:
            letters.append([char, ""])
    return "".join(unicodedata.normalize("NFC", base) + tones for base, tones in letters).encode(
        "cp1258"
    )


def xlsx_bytes(rows, headings=HEADINGS_EN) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headings)
    for row in rows:
        # Excel keeps numbers as numbers: codes and phones lose nothing we cannot restore.
        sheet.append([int(v) if v.isdigit() and not v.startswith("0") else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ENCODINGS = {
    "utf-8": lambda: csv_text(LEARNERS).encode("utf-8"),
    "utf-8-bom": lambda: csv_text(LEARNERS, HEADINGS_EN).encode("utf-8-sig"),
    "utf-16-le-bom": lambda: csv_text(LEARNERS, HEADINGS_FOLDED, "\t").encode("utf-16"),
    "utf-16-be-bom": lambda: codecs.BOM_UTF16_BE + csv_text(LEARNERS).encode("utf-16-be"),
    "cp1258": lambda: cp1258_encode(csv_text(LEARNERS, delimiter=";")),
    "xlsx": lambda: xlsx_bytes(
        [[*row[:2], row[2].replace(" ", "").replace("0912", "912"), *row[3:]] for row in LEARNERS]
    ),
}


def assert_the_three_learners_exist():
    users = {u.email: u for u in User.objects.filter(email__in=EXPECTED)}
    assert set(users) == set(EXPECTED)
    for email, (name, phone, group, unit, workplace) in EXPECTED.items():
        user = users[email]
        assert user.full_name == name and unicodedata.is_normalized("NFC", user.full_name)
        assert (user.phone, user.audience_group, user.home_unit.code) == (phone, group, unit)
        assert (user.workplace_unit.code if user.workplace_unit else None) == workplace
        assert user.is_active and not user.has_usable_password() and user.invited_at is None
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (email, False, True)
