"""Excel workbooks written by hand, part by part, so that a hostile one is small on the wire
however large it unpacks."""

import io
import itertools
import re
import struct
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

MB = 2**20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADINGS = ["Họ và tên", "Email", "Số điện thoại", "Đối tượng", "Mã đơn vị"]
LEARNER = ["Nguyễn Thị Hồng Nhung", "nhung@example.vn", "0912345678", "Người dân", "11311"]
UNREADABLE = "The Excel workbook could not be read."


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


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)
# Five cells, each the same untidy text: a tidied copy per cell would take 180 MB.
SHARED_CELLS = b'<c t="s"><v>0</v></c>' * 5
