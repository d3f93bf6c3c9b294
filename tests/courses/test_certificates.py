import io
import unicodedata
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from courses import services
from courses.certificate_pdf import certificate_pdf_render
from courses.models import (
    Certificate,
    Course,
)
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import CERTIFICATE_COURSE_TITLE, certificate_earn, course_create

LEARNER_NAME = "Nguyễn Thị Hồng Nhung"


@pytest.fixture
def learner(units):
    return UserFactory(full_name=LEARNER_NAME, email="hong.nhung@example.com", phone="0912345678")


@pytest.fixture
def certificate(learner):
    return certificate_earn(user=learner, course=course_create())


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def local_date(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y")


# The PDF ---------------------------------------------------------------------------------


def test_pdf_shows_the_learner_course_code_and_verify_address(client, learner, certificate):
    sign_in(client, learner)

    response = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="chung-nhan-{certificate.code}.pdf"'
    )
    reader, text = pdf_text(response.content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert float(box.width) == pytest.approx(842, abs=1)
    assert float(box.height) == pytest.approx(595, abs=1)
    assert LEARNER_NAME in text
    assert CERTIFICATE_COURSE_TITLE in text
    assert certificate.code in text
    assert local_date(certificate.issued_at) in text
    assert f"http://testserver/verify/{certificate.code}" in text
    assert "CHỨNG NHẬN" in text
    assert "BÌNH DÂN HỌC VỤ SỐ" in text


def test_pdf_embeds_its_fonts(client, learner, certificate):
    sign_in(client, learner)

    response = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))

    fonts = PdfReader(io.BytesIO(response.content)).pages[0]["/Resources"]["/Font"]
    descriptors = [font.get_object()["/FontDescriptor"] for font in fonts.values()]
    assert descriptors
    assert all("/FontFile2" in descriptor for descriptor in descriptors)


def test_pdf_prints_the_snapshot_not_the_live_names(client, learner, certificate):
    learner.full_name = "Tên Đã Đổi"
    learner.save()
    Course.objects.filter(pk=certificate.enrollment.course_id).update(title="Tiêu đề mới")
    sign_in(client, learner)

    response = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))

    _, text = pdf_text(response.content)
    assert LEARNER_NAME in text
    assert CERTIFICATE_COURSE_TITLE in text
    assert "Tên Đã Đổi" not in text
    assert "Tiêu đề mới" not in text


def test_pdf_is_not_found_for_another_learner(client, certificate):
    sign_in(client, UserFactory())

    response = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))

    assert response.status_code == 404


def test_pdf_sends_an_anonymous_visitor_to_log_in(client, certificate):
    url = reverse("courses:certificate_pdf", args=[certificate.code])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_pdf_of_a_revoked_certificate_is_refused(client, learner, certificate):
    services.certificate_revoke(certificate=certificate, reason="Gian lận")
    sign_in(client, learner)

    response = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")


def test_render_fits_long_and_decomposed_names_on_one_page():
    certificate = Certificate(
        code="BDHVS-AAAA-BBBB",
        full_name=unicodedata.normalize("NFD", "Tôn Nữ Thị Phương Thảo " * 6),
        course_title="Dịch vụ công trực tuyến và VNeID " * 6,
        issued_at=timezone.now(),
    )

    pdf = certificate_pdf_render(certificate=certificate, verify_url="https://example.org/v/X")

    reader, text = pdf_text(pdf)
    assert len(reader.pages) == 1
    assert "Tôn Nữ Thị Phương Thảo" in unicodedata.normalize("NFC", text)
    assert "https://example.org/v/X" in text


def test_issue_date_is_the_date_in_vietnam():
    # 20:00 UTC on 31 December is already 1 January in Hà Nội.
    issued_at = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    certificate = Certificate(
        code="BDHVS-CCCC-DDDD", full_name="A", course_title="B", issued_at=issued_at
    )

    _, text = pdf_text(certificate_pdf_render(certificate=certificate, verify_url="x"))

    assert "01/01/2026" in text


# The public verification page ----------------------------------------------------------


def test_verify_shows_the_certificate_in_the_default_language(client, certificate):
    response = client.get(reverse("courses:verify", args=[certificate.code]))

    assert response.status_code == 200
    page = response.content.decode()
    assert LEARNER_NAME in page
    assert CERTIFICATE_COURSE_TITLE in page
    assert certificate.code in page
    assert local_date(certificate.issued_at) in page
    assert '<meta name="robots" content="noindex">' in page
    assert 'lang="vi"' in page


def test_verify_says_valid_then_revoked(client, certificate):
    client.cookies["django_language"] = "en"
    url = reverse("courses:verify", args=[certificate.code])

    valid = client.get(url).content.decode()
    services.certificate_revoke(certificate=certificate, reason="Gian lận")
    certificate.refresh_from_db()
    revoked = client.get(url).content.decode()

    assert "certificate-badge-valid" in valid and ">Valid<" in valid
    assert "Revoked" not in valid
    assert "certificate-badge-revoked" in revoked and ">Revoked<" in revoked
    assert ">Valid<" not in revoked
    assert "Revoked on" in revoked
    assert local_date(certificate.revoked_at) in revoked
    assert "Gian lận" not in revoked  # the reason is internal


def test_verify_shows_nothing_else_about_the_learner(client, learner, certificate):
    page = client.get(reverse("courses:verify", args=[certificate.code])).content.decode()

    assert learner.email not in page
    assert learner.phone not in page
    assert learner.home_unit.name not in page


def test_verify_accepts_a_code_typed_in_lower_case(client, certificate):
    response = client.get(reverse("courses:verify", args=[certificate.code.lower()]))

    assert response.status_code == 200
    assert LEARNER_NAME in response.content.decode()


def test_verify_unknown_code_is_a_clear_404(client, units):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("courses:verify", args=["BDHVS-ZZZZ-ZZZZ"]))

    assert response.status_code == 404
    page = response.content.decode()
    assert "No certificate has the code" in page
    assert "BDHVS-ZZZZ-ZZZZ" in page


def test_verify_escapes_the_code_it_echoes(client, db):
    response = client.get(reverse("courses:verify", args=["<b>x"]))

    assert response.status_code == 404
    assert "<B>X" not in response.content.decode()


def test_verify_takes_one_query(client, certificate, django_assert_num_queries):
    url = reverse("courses:verify", args=[certificate.code])

    with django_assert_num_queries(1):
        response = client.get(url)

    assert response.status_code == 200


def test_verify_is_read_only(client, certificate):
    response = client.post(reverse("courses:verify", args=[certificate.code]))

    assert response.status_code == 405
