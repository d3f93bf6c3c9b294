"""Learner import and export: files built here in every encoding, errors per row, all or nothing."""

import codecs
import csv
import io
import time
import unicodedata

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts.learner_files import (
    MAX_ROWS,
    PENDING_IMPORT_SESSION_KEY,
    cell_safe,
    learner_import,
)
from accounts.models import Role, UnitRole, User
from tests.factories import UserFactory, sign_in
from units.models import Unit
from units.services import unit_create

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def organisations(units):
    hai_phong, ha_noi = Unit.objects.get(code="31"), Unit.objects.get(code="01")
    unit_create(code="SO-KHCN-HP", name="Sở Khoa học và Công nghệ", kind="agency", parent=hai_phong)
    unit_create(
        code="DN-CANG-HP",
        name="Công ty Cổ phần Cảng Hải Phòng",
        kind="enterprise",
        parent=Unit.objects.get(code="11311"),
    )
    unit_create(
        code="THPT-HN-01",
        name="Trường THPT Phan Đình Phùng",
        kind="school",
        parent=Unit.objects.get(code="00004", parent=ha_noi),
    )


@pytest.fixture
def english():
    with translation.override("en"):
        yield


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


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_imports_the_same_three_learners(organisations, encoding):
    content = ENCODINGS[encoding]()
    admin = content_admin_of("31")
    report = learner_import(content=content, importer=admin, dry_run=False)
    assert report.ok, (report.refused, report.errors)
    assert report.created == 3
    assert_the_three_learners_exist()


def test_cp1258_file_really_uses_combining_tone_marks():
    assert "ễ".encode() not in cp1258_encode("Nguyễn")  # guards the helper itself
    assert cp1258_encode("Nguyễn") == b"Nguy\xea\xden"


def test_dry_run_checks_with_a_handful_of_queries_and_writes_nothing(
    organisations, django_assert_max_num_queries
):
    admin = content_admin_of("31")
    before = User.objects.count()
    with django_assert_max_num_queries(5):
        report = learner_import(content=ENCODINGS["utf-8"](), importer=admin, dry_run=True)
    assert report.ok and len(report.learners) == 3 and report.created == 0
    assert User.objects.count() == before


BAD_ROWS = [
    # (column index, bad value, heading reported, message)
    (1, "not-an-email", "Email", "This is not a valid email address."),
    (1, "taken@example.vn", "Email", "An account with this email already exists."),
    (4, "99999", "Mã đơn vị", "No unit has this code."),
    (4, "31", "Mã đơn vị", "“Thành phố Hải Phòng” is not a commune, ward or special zone."),
    (5, "11560", "Mã nơi làm việc", "is not an agency, enterprise or school."),
    (5, "THPT-HN-01", "Mã nơi làm việc", "not in the same province as the learner's unit"),
    (3, "Người ngoài hành tinh", "Đối tượng", "Unknown audience group."),
    (3, "", "Đối tượng", "Enter the audience group."),
    (2, "12345", "Số điện thoại", "Enter a Vietnamese mobile number"),
    (0, "   ", "Họ và tên", "Enter the learner's full name."),
    (4, "", "Mã đơn vị", "Enter the code of the learner's commune, ward or special zone."),
]


@pytest.mark.parametrize("position,value,heading,message", BAD_ROWS)
def test_each_bad_value_gets_its_row_level_message_and_nothing_is_written(
    organisations, english, position, value, heading, message
):
    UserFactory(email="taken@example.vn")
    rows = [list(row) for row in LEARNERS]
    rows[1][position] = value
    before = User.objects.count()
    report = learner_import(
        content=csv_text(rows).encode("utf-8"), importer=superuser(), dry_run=False
    )
    assert not report.ok and report.created == 0
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, heading, value.strip())]
    assert message in report.errors[0].message
    assert User.objects.count() == before + 1  # only the superuser made above


def test_duplicate_email_in_the_file_names_both_rows(organisations, english):
    rows = [*LEARNERS, ["Phạm Minh Khôi", "NHUNG.nguyen@example.vn", "", "citizen", "11560", ""]]
    report = learner_import(content=csv_text(rows).encode(), importer=None, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Email"), (5, "Email")]
    assert all("rows 2, 5" in e.message for e in report.errors)
    assert not User.objects.filter(email__in=EXPECTED).exists()


def test_missing_and_misspelled_columns_list_the_expected_ones(units, english):
    headings = ["Ho va ten", "Emial", "Đối tượng", "Mã đơn vị"]
    content = csv_text([["An", "an@example.vn", "citizen", "11311"]], headings).encode()
    report = learner_import(content=content, importer=None)
    text = " ".join(report.refused)
    assert "Unknown column “Emial”." in text
    assert "Missing columns: Email." in text
    assert "Expected columns" in text and "Số điện thoại (phone)" in text
    assert report.errors == []


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "The file is empty."),
        (codecs.BOM_UTF8 + b"\r\n\r\n", "The file is empty."),
        (csv_text([]).encode(), "The file has a header row but no learners."),
        (b"H\x81 v\x8d t\xean\r\n", "character encoding could not be recognised"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel files (.xls)"),
        (b"PK\x03\x04 not really a workbook", "character encoding could not be recognised"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(units, english, content, message):
    report = learner_import(content=content, importer=None, dry_run=False)
    assert not report.ok and message in " ".join(report.refused)


def test_more_than_50000_rows_is_refused_before_any_row_is_checked(
    units, english, django_assert_num_queries
):
    line = "Nguyễn Văn A,a@example.vn,,citizen,11311,\r\n"
    content = (",".join(HEADINGS_VI) + "\r\n" + line * (MAX_ROWS + 1)).encode()
    admin = superuser()
    started = time.monotonic()
    with django_assert_num_queries(0):
        report = learner_import(content=content, importer=admin, dry_run=False)
    print(f"\n50,001-row file refused in {time.monotonic() - started:.2f} s")
    assert "more than 50,000 learner rows" in report.refused[0]


def test_rows_outside_the_administrators_unit_are_refused(organisations, english):
    rows = [
        LEARNERS[0],
        ["Hoàng Văn Nam", "nam@example.vn", "", "citizen", "00004", ""],
        ["Đỗ Thu Trang", "trang@example.vn", "", "student", "11311", "THPT-HN-01"],
    ]
    report = learner_import(
        content=csv_text(rows).encode(), importer=content_admin_of("31"), dry_run=False
    )
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "Mã đơn vị", "This unit is outside your unit."),
        (4, "Mã nơi làm việc", "This workplace is outside your unit."),
    ]
    assert not User.objects.filter(email__in=["nhung.nguyen@example.vn", "nam@example.vn"]).exists()


def test_only_content_administrators_may_import(units):
    official = UserFactory(is_staff=True)
    UnitRole.objects.create(user=official, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    with pytest.raises(PermissionDenied):
        learner_import(content=csv_text(LEARNERS).encode(), importer=official)


def test_codes_that_lost_their_leading_zeros_are_found(units):
    rows = [["Hoàng Văn Nam", "nam@example.vn", "", "citizen", "4", ""]]
    report = learner_import(content=csv_text(rows).encode(), importer=None, dry_run=False)
    assert report.ok and User.objects.get(email="nam@example.vn").home_unit.code == "00004"


# The management command ------------------------------------------------------------------------
def test_command_dry_run_then_real_run(organisations, tmp_path, english):
    path = tmp_path / "hoc-vien.csv"
    path.write_bytes(ENCODINGS["utf-8-bom"]())
    out = io.StringIO()
    call_command("import_learners", str(path), "--dry-run", stdout=out)
    assert "Rows: 3. Ready: 3." in out.getvalue() and "Elapsed:" in out.getvalue()
    assert not User.objects.filter(email__in=EXPECTED).exists()

    admin = content_admin_of("31")
    out = io.StringIO()
    call_command("import_learners", str(path), "--as", admin.email.upper(), stdout=out)
    assert "Imported 3 learners" in out.getvalue()
    assert_the_three_learners_exist()


def test_command_lists_errors_and_exits_non_zero(organisations, tmp_path, english):
    rows = [LEARNERS[0], ["Hoàng Văn Nam", "nam@example.vn", "", "citizen", "00004", ""]]
    path = tmp_path / "hoc-vien.csv"
    path.write_bytes(csv_text(rows).encode())
    admin = content_admin_of("31")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_learners", str(path), "--as", admin.email, stdout=out)
    assert "Row 3 · Mã đơn vị · “00004”: This unit is outside your unit." in out.getvalue()
    assert "Rows with errors: 1" in out.getvalue()
    assert not User.objects.filter(email="nhung.nguyen@example.vn").exists()
    with pytest.raises(CommandError, match="No account has the email"):
        call_command("import_learners", str(path), "--as", "nobody@example.vn")


# The admin ----------------------------------------------------------------------------------------
@pytest.fixture
def import_dir(settings, tmp_path):
    settings.LEARNER_IMPORT_DIR = tmp_path / "imports"
    return settings.LEARNER_IMPORT_DIR


def test_admin_import_flow_upload_dry_run_confirm(client, organisations, import_dir):
    admin = content_admin_of("31")
    sign_in(client, admin)
    client.cookies["django_language"] = "en"
    changelist = client.get(reverse("admin:accounts_user_changelist"))
    assert changelist.status_code == 200
    import_url = reverse("admin:accounts_user_import")
    assert import_url in changelist.content.decode()
    assert client.get(import_url).status_code == 200

    upload = SimpleUploadedFile("hoc-vien.xlsx", ENCODINGS["xlsx"]())
    response = client.post(import_url, {"file": upload, "upload": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 learners are ready to import." in page and "Confirm import" in page
    assert not User.objects.filter(email__in=EXPECTED).exists()
    token = client.session[PENDING_IMPORT_SESSION_KEY]["token"]
    assert [p.name for p in import_dir.iterdir()] == [token]

    response = client.post(import_url, {"confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_changelist")
    assert_the_three_learners_exist()
    assert list(import_dir.iterdir()) == []
    assert PENDING_IMPORT_SESSION_KEY not in client.session
    assert "3 learners were imported." in client.get(response["Location"]).content.decode()


def test_admin_import_with_errors_shows_them_by_row_and_offers_no_confirmation(
    client, organisations, import_dir
):
    sign_in(client, content_admin_of("31"))
    client.cookies["django_language"] = "en"
    rows = [LEARNERS[0], ["", "nam@example", "", "citizen", "00004", ""]]
    upload = SimpleUploadedFile("hoc-vien.csv", csv_text(rows).encode())
    page = client.post(
        reverse("admin:accounts_user_import"), {"file": upload, "upload": "1"}
    ).content.decode()
    assert "1 of 2 rows has errors. Nothing was imported" in page
    assert "Enter the learner&#x27;s full name." in page
    assert "This unit is outside your unit." in page
    assert "Confirm import" not in page
    assert not import_dir.exists() or list(import_dir.iterdir()) == []
    # A forged confirmation without a pending file imports nothing.
    response = client.post(reverse("admin:accounts_user_import"), {"confirm": "1"})
    assert response.status_code == 302 and not User.objects.filter(email="nam@example").exists()


def test_admin_import_cancel_deletes_the_pending_file(client, organisations, import_dir):
    sign_in(client, content_admin_of("31"))
    upload = SimpleUploadedFile("hoc-vien.csv", csv_text(LEARNERS).encode())
    client.post(reverse("admin:accounts_user_import"), {"file": upload, "upload": "1"})
    assert len(list(import_dir.iterdir())) == 1
    response = client.post(reverse("admin:accounts_user_import"), {"cancel": "1"})
    assert response.status_code == 302 and list(import_dir.iterdir()) == []
    assert not User.objects.filter(email__in=EXPECTED).exists()


def test_other_staff_cannot_import(client, units, import_dir):
    official = UserFactory(is_staff=True)
    UnitRole.objects.create(user=official, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    sign_in(client, official)
    url = reverse("admin:accounts_user_import")
    assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("hoc-vien.csv", csv_text(LEARNERS).encode())
    assert client.post(url, {"file": upload, "upload": "1"}).status_code == 403
    assert not User.objects.filter(email__in=EXPECTED).exists()
    # A content administrator without staff status does not reach the admin at all.
    sign_in(client, content_admin_of("31", is_staff=False))
    assert client.get(url).status_code == 302


# Scoped admin list and export ----------------------------------------------------------------
@pytest.fixture
def people(organisations):
    hai_phong = UserFactory(full_name='=HYPERLINK("http://x.example")', email="hp@example.vn")
    at_work = UserFactory(
        full_name="Vũ Thị Lan",
        email="lan@example.vn",
        home_unit=Unit.objects.get(code="00004"),
        workplace_unit=Unit.objects.get(code="DN-CANG-HP"),
        phone="0912345678",
    )
    ha_noi = UserFactory(
        full_name="Hoàng Văn Nam", email="nam@example.vn", home_unit=Unit.objects.get(code="00004")
    )
    return hai_phong, at_work, ha_noi


def test_a_content_administrator_sees_only_learners_of_their_unit(client, people):
    hai_phong, at_work, ha_noi = people
    admin = content_admin_of("31")
    sign_in(client, admin)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "hp@example.vn" in page and "lan@example.vn" in page
    assert "nam@example.vn" not in page
    assert client.get(reverse("admin:accounts_user_change", args=[at_work.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[ha_noi.pk])).status_code == 404
    password_url = reverse("admin:auth_user_password_change", args=[ha_noi.pk])
    assert client.get(password_url).status_code == 404


def test_export_is_scoped_bom_prefixed_and_formula_safe(client, people):
    sign_in(client, content_admin_of("31"))
    client.cookies["django_language"] = "en"
    response = client.get(reverse("admin:accounts_user_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:4] == ["Full name", "Email", "Phone", "Audience group"]
    by_email = {row[1]: row for row in rows[1:]}
    # Learners only: accounts with a role or staff rights are never in a content admin's list.
    assert set(by_email) == {"hp@example.vn", "lan@example.vn"}
    assert by_email["hp@example.vn"][0] == '\'=HYPERLINK("http://x.example")'
    assert by_email["lan@example.vn"][2:8] == [
        "0912345678",
        "Citizens",
        "00004",
        "Phường Ba Đình",
        "DN-CANG-HP",
        "Công ty Cổ phần Cảng Hải Phòng",
    ]


def test_export_action_exports_the_selected_learners(client, people):
    hai_phong, at_work, _ha_noi = people
    sign_in(client, superuser())
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "export_learners_csv", "_selected_action": [at_work.pk]},
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert [row[1] for row in csv.reader(io.StringIO(body[1:]))][1:] == ["lan@example.vn"]


def test_cell_safe_neutralises_formula_starts():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert cell_safe(text) == "'" + text
    assert cell_safe("Nguyễn") == "Nguyễn"


# Size --------------------------------------------------------------------------------------------
def test_two_thousand_rows_are_all_imported(units):
    """A file of many rows over every commune of the city, checked then imported whole; the
    timings at 10,000 rows come from `manage.py bench_import`."""
    communes = list(
        Unit.objects.filter(parent__code="31", kind__in=["commune", "ward"]).values_list(
            "code", flat=True
        )
    )
    groups = ["Người dân", "official", "worker", "Học sinh, sinh viên"]
    rows = [
        [
            f"Nguyễn Thị Hồng Nhung {n}",
            f"hoc.vien.{n}@example.vn",
            f"09{n:08d}",
            groups[n % 4],
            communes[n % len(communes)],
            "",
        ]
        for n in range(2_000)
    ]
    content = csv_text(rows).encode("utf-8-sig")
    admin = content_admin_of("31")
    dry = learner_import(content=content, importer=admin, dry_run=True)
    assert dry.ok and dry.created == 0
    assert not User.objects.filter(email__startswith="hoc.vien.").exists()
    report = learner_import(content=content, importer=admin, dry_run=False)
    assert report.ok and report.created == 2_000
    assert User.objects.filter(email__startswith="hoc.vien.").count() == 2_000
    assert EmailAddress.objects.filter(email__startswith="hoc.vien.").count() == 2_000
