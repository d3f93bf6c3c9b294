"""Learner import and export by content administrators: the management command, the admin's
upload, check and confirm pages, and the scoped list and its export."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.learner_files import (
    PENDING_IMPORT_SESSION_KEY,
    cell_safe,
)
from accounts.models import Role, UnitRole, User
from tests.accounts.factories import UserFactory, sign_in
from tests.accounts.learner_files import (
    ENCODINGS,
    EXPECTED,
    LEARNERS,
    assert_the_three_learners_exist,
    content_admin_of,
    csv_text,
    superuser,
)
from units.models import Unit

pytestmark = pytest.mark.django_db


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
