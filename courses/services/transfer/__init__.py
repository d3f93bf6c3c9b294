"""Move a course between deployments as one .zip: course.json plus the media it references.

Import reads and checks everything first (sizes, entry count, paths, nesting, counts, JSON, every
field: `archive`, `manifest`, `limits`), builds every object unsaved (`plan`), and only then
writes, in one transaction (`write`). The limits live in `limits`, read when an import runs.
"""

from .archive import TransferError
from .export import ExportResult, course_export
from .schema import SCHEMA, SCHEMA_VERSION
from .write import course_import

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "ExportResult",
    "TransferError",
    "course_export",
    "course_import",
]
