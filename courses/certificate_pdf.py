"""The certificate as a printable A4 PDF, drawn from the certificate's own snapshot fields.

The wording is the document's, not the screen's: it reads the same (Vietnamese, with an English
subtitle) whatever language the learner browses in, so it is not passed through gettext.
"""

import io
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .models import Certificate

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")

RED = HexColor("#a4161a")
GOLD = HexColor("#ffd60a")
INK = HexColor("#1b1b1f")
MUTED = HexColor("#4a4a55")
PAPER = HexColor("#fffdf6")

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
CENTRE = PAGE_WIDTH / 2
# The centred text keeps clear of the QR code in the bottom-right corner.
TEXT_WIDTH = PAGE_WIDTH - 2 * 110
QR_SIZE = 90
QR_RIGHT = PAGE_WIDTH - 62
QR_BOTTOM = 64


def _fonts_register() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(REGULAR, FONT_DIR / "DejaVuSans.ttf"))
    if BOLD not in registered:
        pdfmetrics.registerFont(TTFont(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))


def _nfc(text: str) -> str:
    # reportlab does no glyph composition: a decomposed "ễ" would print its marks apart.
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def _fitted_lines(text: str, *, font: str, size: float, width: float, max_lines: int):
    """One line if a slightly smaller size allows it, else the largest size at which the text
    wraps into `max_lines`: nothing printed on a certificate may be cut off."""
    one_line_size = size
    while one_line_size >= size * 0.8:
        if pdfmetrics.stringWidth(text, font, one_line_size) <= width:
            return [text], one_line_size
        one_line_size -= 1
    while True:
        lines = simpleSplit(text, font, size, width)
        fits = all(pdfmetrics.stringWidth(line, font, size) <= width for line in lines)
        if (fits and len(lines) <= max_lines) or size <= 4:
            return lines, size
        size -= 0.5


def _centred(
    canvas: Canvas, text: str, *, y: float, font: str, size: float, colour=INK, max_lines: int = 1
) -> float:
    """Draw centred, wrapped text from baseline `y` downwards; return the last baseline."""
    lines, size = _fitted_lines(text, font=font, size=size, width=TEXT_WIDTH, max_lines=max_lines)
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    for index, line in enumerate(lines):
        canvas.drawCentredString(CENTRE, y - index * size * 1.25, line)
    return y - (len(lines) - 1) * size * 1.25


def _frame(canvas: Canvas) -> None:
    canvas.setFillColor(PAPER)
    canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(6)
    canvas.rect(24, 24, PAGE_WIDTH - 48, PAGE_HEIGHT - 48, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(2)
    canvas.rect(34, 34, PAGE_WIDTH - 68, PAGE_HEIGHT - 68, stroke=1, fill=0)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(0.6)
    canvas.rect(39, 39, PAGE_WIDTH - 78, PAGE_HEIGHT - 78, stroke=1, fill=0)


def _rule(canvas: Canvas, *, y: float, half_width: float) -> None:
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(3)
    canvas.line(CENTRE - half_width, y, CENTRE + half_width, y)
    canvas.setFillColor(RED)
    canvas.circle(CENTRE, y, 3.5, stroke=0, fill=1)


def _qr_image(data: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    return ImageReader(qr.make_image(fill_color="black", back_color="white").get_image())


def _verification_block(canvas: Canvas, *, verify_url: str) -> None:
    left = QR_RIGHT - QR_SIZE
    canvas.drawImage(_qr_image(verify_url), left, QR_BOTTOM, QR_SIZE, QR_SIZE)
    canvas.setFillColor(MUTED)
    canvas.setFont(REGULAR, 8)
    canvas.drawRightString(QR_RIGHT, QR_BOTTOM + QR_SIZE + 6, "Tra cứu / Verify")
    # One line, shrunk if need be: the address must stay whole to be typed in.
    size = 7.0
    while size > 4.5 and pdfmetrics.stringWidth(verify_url, REGULAR, size) > 300:
        size -= 0.5
    canvas.setFont(REGULAR, size)
    canvas.drawRightString(QR_RIGHT, QR_BOTTOM - 11, verify_url)


def _facts_block(canvas: Canvas, *, issued_on: str, code: str) -> None:
    x = 72
    for y, label, value in (
        (128, "Ngày cấp / Date of issue", issued_on),
        (88, "Mã chứng nhận / Certificate code", code),
    ):
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, 9)
        canvas.drawString(x, y + 16, label)
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 14)
        canvas.drawString(x, y, value)


def certificate_pdf_render(*, certificate: Certificate, verify_url: str) -> bytes:
    """One A4 landscape page; fonts embedded so every Vietnamese diacritic prints."""
    _fonts_register()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, initialFontName=REGULAR
    )
    canvas.setTitle(f"Chứng nhận {certificate.code}")
    canvas.setAuthor("Bình dân học vụ số")
    canvas.setSubject(_nfc(certificate.course_title))

    _frame(canvas)
    _centred(canvas, "BÌNH DÂN HỌC VỤ SỐ", y=508, font=BOLD, size=17, colour=RED)
    _rule(canvas, y=492, half_width=90)
    _centred(canvas, "CHỨNG NHẬN", y=438, font=BOLD, size=44, colour=RED)
    _centred(canvas, "Certificate of completion", y=412, font=REGULAR, size=14, colour=MUTED)
    _centred(canvas, "Chứng nhận Ông/Bà", y=370, font=REGULAR, size=15)
    y = _centred(canvas, _nfc(certificate.full_name), y=330, font=BOLD, size=32, max_lines=2)
    _centred(canvas, "đã hoàn thành khóa học", y=y - 40, font=REGULAR, size=15)
    _centred(
        canvas,
        _nfc(certificate.course_title),
        y=y - 74,
        font=BOLD,
        size=20,
        colour=RED,
        max_lines=3,
    )

    issued_on = certificate.issued_at.astimezone(LOCAL_TIME).strftime("%d/%m/%Y")
    _facts_block(canvas, issued_on=issued_on, code=certificate.code)
    _verification_block(canvas, verify_url=verify_url)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
