"""The generated data set: learners of Hải Phòng with enrolments, progress and certificates,
deterministic from a seed (`generate.py`), and its removal (`removal.py`)."""

from .generate import (
    LoadSummary,
    expected_enrollments_per_learner,
    load_generate,
    tables_maintain,
)
from .organisations import CITY_CODE
from .population import LOAD_EMAIL_DOMAIN
from .removal import LoadDataInUse, load_remove

__all__ = [
    "CITY_CODE",
    "LOAD_EMAIL_DOMAIN",
    "LoadDataInUse",
    "LoadSummary",
    "expected_enrollments_per_learner",
    "load_generate",
    "load_remove",
    "tables_maintain",
]
