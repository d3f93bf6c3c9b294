"""The site's settings, with the benchmarks' minimal page added (loadtest.urls)."""

from platform_app.settings import *  # noqa: F403

ROOT_URLCONF = "loadtest.urls"
