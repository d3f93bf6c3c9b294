# The authoring fixtures (provinces, their content administrators and courses) for every test
# of the courses app.
from tests.courses.test_authoring import (  # noqa: F401
    hn_author,
    hn_client,
    hn_course,
    hp_author,
    hp_client,
    hp_course,
    provinces,
    superuser_client,
)
