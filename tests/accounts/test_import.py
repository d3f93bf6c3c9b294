"""Learner import: files in every encoding, errors per row, all or nothing, within the
importer's unit."""

import codecs

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied

from accounts.learner_files import (
    MAX_ROWS,
    learner_import,
)
from accounts.models import Role, UnitRole, User
from tests.accounts.factories import UserFactory
from tests.accounts.learner_files import (
    ENCODINGS,
    EXPECTED,
    HEADINGS_VI,
    LEARNERS,
    assert_the_three_learners_exist,
    content_admin_of,
    cp1258_encode,
    csv_text,
    superuser,
)
from units.models import Unit

pytestmark = pytest.mark.django_db


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
    with django_assert_num_queries(0):  # refused on its size: not a row was looked up
        report = learner_import(content=content, importer=admin, dry_run=False)
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
