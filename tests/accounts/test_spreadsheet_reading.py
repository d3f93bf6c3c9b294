"""Reading learner spreadsheets: damaged cells are named, and ordinary workbooks, Excel's and
openpyxl's, are read exactly."""

import io
import struct
import zipfile

import pytest
from openpyxl import Workbook

from accounts.learner_files import ImportRefused, learner_import, xlsx_rows
from accounts.models import User
from tests.accounts.workbooks import (
    HEADER,
    HEADINGS,
    LEARNER,
    MAIN,
    RELATIONS,
    UNREADABLE,
    cell_replace,
    inline_row,
    relationships,
    worksheet,
    xlsx,
)


# Damaged cells ----------------------------------------------------------------------------------
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
