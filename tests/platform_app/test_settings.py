"""Production settings, checked the way an operator runs them: in a fresh process."""

import os
import secrets
import subprocess
import sys

BASE_ENV = {
    key: value
    for key, value in os.environ.items()
    if key
    not in {
        "DJANGO_ENV",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "SITE_URL",
    }
}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_prints_no_warning_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hocvuso.example.vn",
        SITE_URL="https://hocvuso.example.vn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", DJANGO_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_its_public_address():
    result = manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hocvuso.example.vn",
    )
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_the_load_testing_tools_are_not_installed_in_production():
    command = "import django.apps as a; print(a.apps.is_installed('loadtest'))"
    production = manage(
        "shell",
        "-c",
        command,
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hocvuso.example.vn",
        SITE_URL="https://hocvuso.example.vn",
    )
    # The shell's own notice ("N objects imported automatically") comes first.
    assert production.stdout.strip().splitlines()[-1] == "False", production.stderr
    assert manage("shell", "-c", command).stdout.strip().splitlines()[-1] == "True"
