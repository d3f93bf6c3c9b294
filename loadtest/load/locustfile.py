"""Simulated learners and officials for `make bench-load` (loadtest.load.run starts the site
and passes the BENCH_* variables).

Learners log in, look at the catalogue, open a course, continue to the next lesson, read it,
then complete it or answer its quiz, with a person's think time between steps. Officials open
their city's report and a commune's, and now and then ask for an export.
"""

import itertools
import json
import os
import random
import re
from pathlib import Path

import pyotp
from locust import HttpUser, between, events, task

from loadtest.load.names import LEARNER_EMAIL, OFFICIAL_EMAIL, PASSWORD, totp_secret

COURSES = os.environ["BENCH_COURSES"].split(",")
COMMUNES = os.environ["BENCH_COMMUNES"].split(",")
CITY = os.environ["BENCH_CITY"]
THINK = (float(os.environ["BENCH_THINK_MIN"]), float(os.environ["BENCH_THINK_MAX"]))

_learners = itertools.count()
# Log-ins happen while people arrive, before the figures are reset for the steady state: the
# refused ones are counted here and reported by the runner.
_refused_log_ins: list[str] = []
_officials = itertools.count()
COMPLETE = re.compile(r'action="(/courses/[\w-]+/lessons/\d+/complete/)"')
QUIZ = re.compile(r'action="(/courses/[\w-]+/lessons/\d+/quiz/)"')
ATTEMPT = re.compile(r'name="attempt" value="(\d+)"')
CHOICE = re.compile(r'name="(q_\d+)" value="(\d+)"')


class Person(HttpUser):
    abstract = True
    wait_time = between(*THINK)

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def post(self, url: str, data: dict, name: str):
        return self.client.post(url, {**data, "csrfmiddlewaretoken": self.csrf()}, name=name)

    def log_in(self, email: str) -> None:
        self.client.get("/accounts/login/", name="log in (page)")
        data = {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        with self.client.post(
            "/accounts/login/", data, name="log in", catch_response=True
        ) as response:
            if "/accounts/login/" in response.url:  # the form again: not logged in
                _refused_log_ins.append(email)
                response.failure(f"log-in refused for {email}")


class Learner(Person):
    weight = 50

    def on_start(self):
        self.log_in(LEARNER_EMAIL.format(n=next(_learners)))
        self.course = random.choice(COURSES)

    @task(1)
    def catalogue(self):
        self.client.get("/courses/", name="/courses/")
        if random.random() < 0.3:
            self.client.get("/courses/?q=an+toan", name="/courses/?q=")

    @task(1)
    def my_learning(self):
        self.client.get("/my-learning/", name="/my-learning/")

    @task(6)
    def next_lesson(self):
        course = f"/courses/{self.course}/"
        page = self.client.get(course, name="/courses/[slug]/")
        if "/enrol/" in page.text:
            self.post(f"{course}enrol/", {}, name="/courses/[slug]/enrol/ POST")
        lesson = self.client.get(f"{course}continue/", name="/courses/[slug]/lessons/[id]/")
        complete = COMPLETE.search(lesson.text)
        quiz = QUIZ.search(lesson.text)
        if complete:
            self.post(complete.group(1), {}, name="/courses/[slug]/lessons/[id]/complete/ POST")
        elif quiz and ATTEMPT.search(lesson.text):
            answers = {}
            for field, choice in CHOICE.findall(lesson.text):
                if field not in answers or random.random() < 0.5:
                    answers[field] = choice
            answers["attempt"] = ATTEMPT.search(lesson.text).group(1)
            self.post(quiz.group(1), answers, name="/courses/[slug]/lessons/[id]/quiz/ POST")
        else:  # course done, or quiz attempts used up: another course
            self.course = random.choice(COURSES)


class Official(Person):
    weight = 1

    def on_start(self):
        email = OFFICIAL_EMAIL.format(n=next(_officials))
        self.log_in(email)
        code = pyotp.TOTP(totp_secret(email)).now()
        self.post("/accounts/2fa/authenticate/", {"code": code}, name="log in (code)")

    @task(4)
    def city(self):
        self.client.get(f"/reports/units/{CITY}/", name="/reports/units/[city]/")

    @task(4)
    def commune(self):
        self.client.get(
            f"/reports/units/{random.choice(COMMUNES)}/", name="/reports/units/[commune]/"
        )

    @task(1)
    def export(self):
        self.post(
            f"/reports/units/{CITY}/export/",
            {"file_format": "csv"},
            name="/reports/units/[city]/export/ POST",
        )


@events.quitting.add_listener
def _refused_log_ins_write(environment, **kwargs):
    Path(os.environ["BENCH_LOG_IN_REPORT"]).write_text(json.dumps(_refused_log_ins))
