"""Learner files: bulk import from CSV or XLSX, and the CSV export of the same people.

An import reads the whole file (`reading`, `workbook`, within `limits`), matches its headings
(`columns`), checks every row with a handful of queries (`checks`), and writes only when no row
has an error (`importing`). A dry run is the same check without the write; in the admin, the
file waits for the confirmation in `pending`. `export` writes the CSV.
"""

from .checks import ImportReport
from .columns import COLUMNS
from .export import cell_safe, learner_export_lines
from .importing import learner_import
from .limits import MAX_FILE_BYTES, MAX_ROWS, ImportRefused
from .pending import PENDING_IMPORT_SESSION_KEY
from .reading import table_read
from .workbook import xlsx_rows

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "PENDING_IMPORT_SESSION_KEY",
    "ImportRefused",
    "ImportReport",
    "cell_safe",
    "learner_export_lines",
    "learner_import",
    "table_read",
    "xlsx_rows",
]
