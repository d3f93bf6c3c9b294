"""Prints queries, time and weight of the learner's pages on the loaded demo curriculum."""

import json
import re
import time
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand
from django.test import Client
from django.urls import reverse

from accounts.models import User
from courses.models import Course, CourseStatus
from loadtest.measure import QueryCounter, rolled_back
from units.models import Unit


class Command(BaseCommand):
    help = "Measure the course page, lesson page and lesson completion (all changes rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, repeat, **options):
        with rolled_back():
            figures = self._measure(repeat)
        self.stdout.write(json.dumps(figures, indent=2))

    def _measure(self, repeat):
        course = Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("pk").first()
        learner = User.objects.create_user(
            email="bench@example.invalid",
            password=None,
            full_name="Bench",
            home_unit=Unit.objects.filter(kind="ward").first(),
            audience_group="citizen",
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(learner)
        client.post(reverse("courses:enroll", args=[course.slug]))
        first = course.lessons.order_by("module__position", "position").first()
        figures = {"course": course.slug}
        for name, url in (
            ("course_page", reverse("courses:course", args=[course.slug])),
            ("lesson_page", reverse("courses:lesson", args=[course.slug, first.pk])),
            ("catalogue_search", reverse("courses:catalogue") + "?q=an+toan"),
        ):
            figures[name] = self._page(client, url, repeat)
        url = reverse("courses:lesson_complete", args=[course.slug, first.pk])
        with QueryCounter() as queries:
            started = time.perf_counter()
            client.post(url)
            elapsed = time.perf_counter() - started
        figures["lesson_complete"] = {"queries": queries.count, "ms": round(elapsed * 1000, 1)}
        return figures

    def _page(self, client, url, repeat):
        with QueryCounter() as queries:
            response = client.get(url)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            timings.append(time.perf_counter() - started)
        timings.sort()
        html = response.content
        assets = 0
        for asset in re.findall(rb'(?:href|src)="/static/([^"]+)"', html):
            found = finders.find(asset.decode())
            assets += Path(found).stat().st_size if found else 0
        return {
            "status": response.status_code,
            "queries": queries.count,
            "median_ms": round(timings[len(timings) // 2] * 1000, 1),
            "html_bytes": len(html),
            "html_css_js_bytes": len(html) + assets,
        }
