"""Hostile learner files (a 300 MB cell, a million empty rows, billion laughs, ...) are refused
in bounded memory, with a message, through the reader and through the admin."""

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, UnitRole
from tests.accounts.factories import UserFactory, sign_in
from tests.accounts.learner_files import cp1258_encode
from tests.accounts.workbooks import (
    HEADER,
    LAUGHS,
    LEARNER,
    MB,
    SHARED_CELLS,
    UNREADABLE,
    cell_replace,
    inline_row,
    many_zip_entries,
    numbered,
    xlsx_write,
)
from units.models import Unit

# What reading one hostile file may add to the peak memory of the reading process.
PEAK_GROWTH_MAX_KB = 100 * 1024

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
            cp1258_encode("Họ và tên,Email\r\n")
            + cp1258_encode("Nguyễn Thị Hồng Nhung,nhung@example.vn\r\n") * 600_000
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
    return {
        name: (path, *results.get(str(path), ("(no result: the reader died)", None)))
        for name, path in paths.items()
    }


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_in_bounded_memory(hostile_read, name):
    path, outcome, growth_kb = hostile_read[name]
    assert path.stat().st_size < 25 * MB
    assert HOSTILE[name][0] in outcome
    assert "root:" not in outcome
    assert growth_kb is not None, outcome
    assert growth_kb <= PEAK_GROWTH_MAX_KB, f"peak memory grew by {growth_kb / 1024:.0f} MB"


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
    assert response.status_code == 400
    assert "Sổ tính chứa hơn 16 MB dữ liệu khi giải nén." in page
    assert "Xác nhận nhập" not in page
    assert len(response.content) < 200 * 1024
    assert not settings.LEARNER_IMPORT_DIR.exists() or not any(
        settings.LEARNER_IMPORT_DIR.iterdir()
    )
