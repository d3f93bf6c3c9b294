"""Reading learner files: hostile spreadsheets are refused in bounded memory, damaged ones with a
message, ordinary ones still read exactly. Hostile workbooks are written here part by part, so
each is small on the wire however large it unpacks."""

import io
import itertools
import json
import os
import re
import struct
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts.learner_files import ImportRefused, learner_import, xlsx_rows
from accounts.models import Role, UnitRole, User
from tests.factories import UserFactory, sign_in
from units.models import Unit

MB = 2**20
PEAK_GROWTH_MAX_KB = 100 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADINGS = ["Họ và tên", "Email", "Số điện thoại", "Đối tượng", "Mã đơn vị"]
LEARNER = ["Nguyễn Thị Hồng Nhung", "nhung@example.vn", "0912345678", "Người dân", "11311"]
UNREADABLE = "The Excel workbook could not be read."
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


# Workbooks by hand ------------------------------------------------------------------------------
def inline_row(number: int, values: Iterable[str]) -> bytes:
    cells = "".join(
        f'<c r="{letter}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        for letter, value in zip("ABCDEFGH", values, strict=False)
        if value
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def cell_replace(row: bytes, reference: str, cell: bytes) -> bytes:
    return re.sub(rb'<c r="%s".*?</c>' % reference.encode(), cell, row)


HEADER = inline_row(1, HEADINGS)


def relationships(*relations: tuple[str, str]) -> str:
    listed = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONS}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(relations, start=1)
    )
    return f'<Relationships xmlns="{PACKAGE}">{listed}</Relationships>'


def worksheet(rows: Iterable[bytes]) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{b"".join(rows).decode()}</sheetData></worksheet>'


def part_write(archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    with archive.open(name, "w") as part:
        for chunk in chunks:
            part.write(chunk)


def xlsx_write(
    target,
    rows: Iterable[bytes],
    strings: Iterable[bytes] | None = None,
    *,
    sheet_prolog: bytes = b"",
    strings_prolog: bytes = b"",
) -> None:
    """A one-sheet workbook: `rows` inside <sheetData>, `strings` inside <sst>."""
    relations = [("worksheet", "worksheets/sheet1.xml")]
    if strings is not None:
        relations.append(("sharedStrings", "sharedStrings.xml"))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_rels/.rels", relationships(("officeDocument", "xl/workbook.xml")))
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
            '<sheet name="Học viên" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr("xl/_rels/workbook.xml.rels", relationships(*relations))
        sheet_open = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
        part_write(
            archive,
            "xl/worksheets/sheet1.xml",
            itertools.chain([sheet_prolog, sheet_open], rows, [b"</sheetData></worksheet>"]),
        )
        if strings is not None:
            strings_open = f'<sst xmlns="{MAIN}">'.encode()
            part_write(
                archive,
                "xl/sharedStrings.xml",
                itertools.chain([strings_prolog, strings_open], strings, [b"</sst>"]),
            )


def xlsx(rows: Iterable[bytes], strings: Iterable[bytes] | None = None, **prologs) -> bytes:
    buffer = io.BytesIO()
    xlsx_write(buffer, rows, strings, **prologs)
    return buffer.getvalue()


def many_zip_entries(count: int) -> bytes:
    """One empty entry, listed `count` times in the central directory."""
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *[0] * 7, 1, *[0] * 6) + b"a"
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFE, 0xFFFE, 47 * count, 31, 0)
    return local + entry * count + end


def numbered(template: bytes, start: int, stop: int, step: int) -> Iterable[bytes]:
    """template % n for every n, joined in chunks of `step`."""
    for first in range(start, stop, step):
        yield b"".join(template % n for n in range(first, min(first + step, stop)))


def cp1258(text: str) -> bytes:
    """As old Windows saves Vietnamese: ê, ơ, ă precomposed, the five tone marks combining."""
    letters: list[list[str]] = []  # [base with its other marks, tone marks]
    for char in unicodedata.normalize("NFD", text):
        if char in TONE_MARKS:
            letters[-1][1] += char
        elif unicodedata.combining(char):
            letters[-1][0] += char
        else:
            letters.append([char, ""])
    composed = "".join(unicodedata.normalize("NFC", base) + tones for base, tones in letters)
    return composed.encode("cp1258")


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)
# Five cells, each the same untidy text: a tidied copy per cell would take 180 MB.
SHARED_CELLS = b'<c t="s"><v>0</v></c>' * 5

# name -> (what the refusal says, how to write the file)
HOSTILE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "one 300 MB cell": (
        "The workbook holds more than 16 MB of data once unpacked.",
        lambda path: xlsx_write(
            path,
            [HEADER, b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'],
            itertools.chain([b"<si><t>"], itertools.repeat(b"x" * MB, 300), [b"</t></si>"]),
        ),
    ),
    "a 2 MB cell in a small sheet": (
        "Cell B2 has more than 1,000 characters.",
        lambda path: xlsx_write(
            path,
            [
                HEADER,
                cell_replace(
                    inline_row(2, LEARNER), "B2", b'<c r="B2"><v>%s</v></c>' % (b"9" * 2 * MB)
                ),
            ],
        ),
    ),
    "a 2 MB shared text": (
        "The file has a cell of more than 1,000 characters.",
        lambda path: xlsx_write(
            path,
            [HEADER],
            [b"<si><r><t>" + b"x" * MB + b"</t></r><r><t>" + b"y" * MB + b"</t></r></si>"],
        ),
    ),
    "one row of 1,000,000 cells": (
        "Row 1 has more than 50 columns.",
        lambda path: xlsx_write(
            path,
            itertools.chain(
                [b'<row r="1">'], itertools.repeat(b"<c><v>1</v></c>" * 1000, 1000), [b"</row>"]
            ),
        ),
    ),
    "1,000,000 empty rows": (
        "The file has more than 60,000 rows, counting empty ones.",
        lambda path: xlsx_write(path, numbered(b'<row r="%d"/>', 1, 1_000_001, 10_000)),
    ),
    "a tag with 3,000,000 attributes": (
        UNREADABLE,
        lambda path: xlsx_write(
            path,
            itertools.chain(
                [HEADER, b'<row r="2"><c r="A2" '],
                numbered(b'a%d="" ', 0, 3_000_000, 100_000),
                [b"/></row>"],
            ),
        ),
    ),
    "a 60 MB comment": (
        UNREADABLE,
        lambda path: xlsx_write(
            path, itertools.chain([HEADER, b"<!--"], itertools.repeat(b"x" * MB, 60), [b"-->"])
        ),
    ),
    "billion laughs": (
        UNREADABLE,
        lambda path: xlsx_write(
            path,
            [
                HEADER,
                cell_replace(
                    inline_row(2, LEARNER),
                    "A2",
                    b'<c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>',
                ),
            ],
            sheet_prolog=LAUGHS,
        ),
    ),
    "an external entity": (
        UNREADABLE,
        lambda path: xlsx_write(
            path,
            [HEADER, cell_replace(inline_row(2, LEARNER), "A2", b'<c r="A2" t="s"><v>0</v></c>')],
            [b"<si><t>&xxe;</t></si>"],
            strings_prolog=b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
    ),
    "300,000 zip entries": (
        UNREADABLE,
        lambda path: path.write_bytes(many_zip_entries(300_000)),
    ),
    "50,000 rows repeating one 1,000-character text": (
        "read 50000 rows",
        lambda path: xlsx_write(
            path,
            itertools.chain(
                [HEADER], numbered(b'<row r="%d">' + SHARED_CELLS + b"</row>", 2, 50_002, 5_000)
            ),
            [b"<si><t>" + b"x  " * 333 + b"</t></si>"],
        ),
    ),
    "CSV: a line of 1,000,000 commas": (
        "Row 2 has more than 50 columns.",
        lambda path: path.write_bytes("Họ và tên,Email\r\n".encode() + b"," * 1_000_000),
    ),
    "CSV: a 24 MB cell": (
        "The file has a cell of more than 1,000 characters.",
        lambda path: path.write_bytes("Họ và tên,Email\r\nAn,".encode() + b"x" * 24 * MB),
    ),
    "CSV: 24 MB of Windows-1258 text": (
        "The file has more than 50,000 learner rows.",
        lambda path: path.write_bytes(
            cp1258("Họ và tên,Email\r\n")
            + cp1258("Nguyễn Thị Hồng Nhung,nhung@example.vn\r\n") * 600_000
        ),
    ),
    "CSV: 12,000,000 empty lines": (
        "The file has more than 60,000 rows, counting empty ones.",
        lambda path: path.write_bytes("Họ và tên,Email".encode() + b"\r\n" * 12_000_000),
    ),
}

# Each file is read in a process forked from a small one: a process started by exec inherits its
# parent's (pytest's) peak in ru_maxrss, a forked one starts from its own size.
MEASURE = """
import json, os, resource, sys
import django
django.setup()
from django.utils import translation
from accounts.learner_files import ImportRefused, table_read
translation.activate("en")
for path in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        content = open(path, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            outcome = "read %d rows" % len(table_read(content=content).rows)
        except ImportRefused as refused:
            outcome = " ".join(refused.messages)
        except Exception as error:
            outcome = "%s: %s" % (type(error).__name__, str(error)[:300])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"path": path, "outcome": outcome, "growth_kb": after - before}))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""


@pytest.fixture(scope="module")
def hostile_read(tmp_path_factory) -> dict[str, tuple[Path, str, int]]:
    """name -> (file, outcome, peak RSS growth in KB) of reading each hostile file."""
    directory = tmp_path_factory.mktemp("hostile")
    paths = {name: directory / f"hostile-{n}" for n, name in enumerate(HOSTILE)}
    for name, (_expected, write) in HOSTILE.items():
        write(paths[name])
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, paths.values())],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "platform_app.settings"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    results = {}
    for line in completed.stdout.splitlines():
        result = json.loads(line)
        results[result["path"]] = (result["outcome"], result["growth_kb"])
    print(f"\n{'file':48} {'on the wire':>12} {'peak RSS growth':>16}  outcome")
    measured = {}
    for name, path in paths.items():
        outcome, growth = results.get(str(path), ("(no result: the reader died)", None))
        measured[name] = (path, outcome, growth)
        shown = "-" if growth is None else f"{growth / 1024:.1f} MB"
        print(f"{name:48} {path.stat().st_size / MB:9.2f} MB {shown:>16}  {outcome[:60]}")
    return measured


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_in_bounded_memory(hostile_read, name):
    path, outcome, growth_kb = hostile_read[name]
    assert path.stat().st_size < 25 * MB
    assert HOSTILE[name][0] in outcome
    assert "root:" not in outcome
    assert growth_kb is not None and growth_kb <= PEAK_GROWTH_MAX_KB, f"{growth_kb / 1024:.0f} MB"


# Damaged cells ----------------------------------------------------------------------------------
@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "cell,strings",
    [
        (b'<c r="C2" t="n"><v>abc</v></c>', None),
        (b'<c r="C2" t="s"><v>99999</v></c>', [b"<si><t>0912345678</t></si>"]),
        (b'<c r="C2" t="b"><v>maybe</v></c>', None),
        (b'<c r="C2"><v>1e999</v></c>', None),
    ],
    ids=["text in a number", "bad shared text index", "bad boolean", "infinite number"],
)
def test_a_damaged_cell_is_named_and_nothing_is_written(units, english, cell, strings):
    row = cell_replace(inline_row(2, LEARNER), "C2", cell)
    report = learner_import(content=xlsx([HEADER, row], strings), importer=None, dry_run=False)
    assert report.refused == [
        "Cell C2 could not be read: the workbook is damaged there. Type the cell again in "
        "Excel, save the file and upload it again."
    ]
    assert report.created == 0 and not User.objects.filter(email="nhung@example.vn").exists()


def test_a_date_cell_that_is_no_date_is_a_row_error_not_a_crash(units, english):
    row = cell_replace(inline_row(2, LEARNER), "C2", b'<c r="C2" t="d"><v>2024-13-45</v></c>')
    report = learner_import(content=xlsx([HEADER, row]), importer=None, dry_run=False)
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (2, "Số điện thoại", "2024-13-45")
    ]
    assert report.created == 0 and not User.objects.filter(email="nhung@example.vn").exists()


def test_a_part_whose_zip_header_understates_its_size_is_refused(english):
    content = bytearray(xlsx([HEADER, inline_row(2, LEARNER)]))
    entry = content.rindex(b"xl/worksheets/sheet1.xml") - 46  # its central directory entry
    assert content[entry : entry + 4] == b"PK\x01\x02"
    size = struct.unpack_from("<L", content, entry + 24)[0]
    struct.pack_into("<L", content, entry + 24, size // 2)
    with pytest.raises(ImportRefused, match=UNREADABLE):
        list(xlsx_rows(bytes(content)))


def test_a_long_value_is_quoted_cut_short(units, english):
    content = f"{','.join(HEADINGS)}\r\nAn,an@example.vn,,citizen,{'9' * 900}\r\n".encode()
    report = learner_import(content=content, importer=None)
    assert [(e.message, e.value) for e in report.errors] == [
        ("No unit has this code.", "9" * 100 + "…")
    ]


def test_a_csv_row_wider_than_the_limit_is_refused_with_its_number(units, english):
    content = f"{','.join(HEADINGS)}\r\n{','.join(LEARNER)}\r\n{'x,' * 60}\r\n".encode()
    report = learner_import(content=content, importer=None)
    assert report.refused == [
        "Row 3 has more than 50 columns. Keep only the learner columns, delete the others "
        "(empty ones on the right too) and upload the file again."
    ]


# Ordinary files ---------------------------------------------------------------------------------
def test_an_excel_style_workbook_reads_exactly():
    strings = [
        "<si><t>Họ và tên</t></si>".encode(),
        '<si><r><rPr><b/></rPr><t xml:space="preserve">Trần </t></r><r><t>Văn Đức</t></r>'
        '<rPh sb="0" eb="1"><t>guide</t></rPh></si>'.encode(),
    ]
    rows = [
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>x</t></is></c>'
        b"</row>",
        b'<row r="3"><c r="A3" t="s"><v>1</v></c><c t="n"><v>912345678.0</v></c>'
        b'<c t="n"><v>0.5</v></c><c t="str"><f>A1</f><v>formula</v></c><c t="b"><v>1</v></c>'
        b'<c t="e"><v>#N/A</v></c><c r="H3"><v>1E+3</v></c></row>',
    ]
    assert list(xlsx_rows(xlsx(rows, strings))) == [
        ["Họ và tên", "", "x"],
        [],
        ["Trần Văn Đức", "912345678", "0.5", "formula", "TRUE", "#N/A", "", "1000"],
    ]


def test_the_sheet_read_is_the_first_worksheet_the_workbook_lists():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
            '<sheet name="Biểu đồ" sheetId="3" r:id="rId3"/>'
            '<sheet name="Học viên" sheetId="2" r:id="rId2"/>'
            '<sheet name="Ghi chú" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            relationships(
                ("worksheet", "worksheets/sheet1.xml"),
                ("worksheet", "/xl/worksheets/sheet2.xml"),
                ("chartsheet", "chartsheets/sheet1.xml"),
            ),
        )
        archive.writestr("xl/worksheets/sheet1.xml", worksheet([inline_row(1, ["notes"])]))
        archive.writestr("xl/worksheets/sheet2.xml", worksheet([inline_row(1, ["learners"])]))
    assert list(xlsx_rows(buffer.getvalue())) == [["learners"]]


def test_without_a_workbook_part_the_first_sheet_file_is_read():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", worksheet([inline_row(2, ["a", "b"])]))
    assert list(xlsx_rows(buffer.getvalue())) == [[], ["a", "b"]]


def test_a_workbook_written_by_openpyxl_imports_correctly(units):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Học viên"
    sheet.append(HEADINGS)
    # Excel keeps a typed phone or code as a number: the leading zeros come back on import.
    sheet.append(["Nguyễn Thị Hồng Nhung", "nhung@example.vn", 912345678, "Người dân", 11311])
    sheet.append([])
    sheet.append(["Hoàng Văn Nam", "nam@example.vn", None, "Cán bộ, công chức, viên chức", 4])
    workbook.create_sheet("Ghi chú").append(["Not a learner"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = learner_import(content=buffer.getvalue(), importer=None, dry_run=False)
    assert report.ok, (report.refused, report.errors)
    assert [row.row for row in report.learners] == [2, 4]
    nhung = User.objects.get(email="nhung@example.vn")
    nam = User.objects.get(email="nam@example.vn")
    assert (nhung.full_name, nhung.phone, nhung.audience_group, nhung.home_unit.code) == (
        "Nguyễn Thị Hồng Nhung",
        "0912345678",
        "citizen",
        "11311",
    )
    assert (nam.full_name, nam.phone, nam.audience_group, nam.home_unit.code) == (
        "Hoàng Văn Nam",
        "",
        "official",
        "00004",
    )


# Through the admin ------------------------------------------------------------------------------
def test_the_admin_refuses_the_300_mb_cell_with_a_small_vietnamese_page(
    client, units, settings, tmp_path
):
    settings.LEARNER_IMPORT_DIR = tmp_path / "imports"
    path = tmp_path / "hoc-vien.xlsx"
    HOSTILE["one 300 MB cell"][1](path)
    admin = UserFactory(audience_group="official", is_staff=True)
    UnitRole.objects.create(user=admin, role=Role.CONTENT_ADMIN, unit=Unit.objects.get(code="31"))
    sign_in(client, admin)
    upload = SimpleUploadedFile("hoc-vien.xlsx", path.read_bytes())
    response = client.post(reverse("admin:accounts_user_import"), {"file": upload, "upload": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sổ tính chứa hơn 16 MB dữ liệu khi giải nén." in page
    assert "Xác nhận nhập" not in page
    assert len(response.content) < 200 * 1024
    assert not settings.LEARNER_IMPORT_DIR.exists() or not any(
        settings.LEARNER_IMPORT_DIR.iterdir()
    )
