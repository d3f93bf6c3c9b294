"""docker-compose.yml is a valid Compose file and a deployment that holds together.

Validation: `docker compose config` where the Compose plugin is installed; always, the file
against the Compose Specification's JSON schema, vendored as `compose-spec.json` beside this
file. That schema is `schemas/compose.schema.json` of the npm package `dclint` 3.1.0 (its
`update-compose-schema` script fetches the compose-spec project's `compose-spec.json`,
Apache-2.0). To refresh it: `npm pack dclint@<version>`, copy that file, update SCHEMA_SHA256.
"""

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
SCHEMA_SHA256 = "46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496"
WORKERS = ("worker", "worker-stats", "worker-exports")
APP_SERVICES = ("web", *WORKERS, "beat")
LONG_RUNNING = ("postgres", "redis", *APP_SERVICES)
SHARED_PATHS = ("MEDIA_ROOT", "PRIVATE_ROOT", "LEARNER_IMPORT_DIR")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def schema_errors(document: dict) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text())
    # The schema declares draft-07 by a URL that jsonschema does not map: name the draft.
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def mounts(service: dict) -> dict[str, str]:
    """Mount target -> source, from short ("source:target[:mode]") or long syntax."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        found[target] = source
    return found


def healthcheck_command(service: dict) -> list[str]:
    """The healthcheck as the container runs it (Compose turns "$$" into "$")."""
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    words = [word.replace("$$", "$") for word in test[1:]]
    return ["sh", "-c", words[0]] if test[0] == "CMD-SHELL" else words


def compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_the_schema_is_the_vendored_release():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_the_file_follows_the_compose_specification(compose):
    assert schema_errors(compose) == []


def test_the_schema_check_catches_a_broken_file(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["depends_on"]["setup"]["condition"] = "service_finished"
    broken["services"]["worker"]["restart_policy"] = "always"
    errors = schema_errors(broken)
    assert any(error.startswith("services/web/depends_on") for error in errors)
    assert any("restart_policy" in error for error in errors)


@pytest.mark.skipif(not compose_plugin(), reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file():
    env = {**os.environ, "SECRET_KEY": "x" * 50, "SITE_URL": "https://hocvuso.example.vn"}
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_secret_key_and_site_url_must_be_given(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", environment["SECRET_KEY"])
        assert re.fullmatch(r"\$\{SITE_URL:\?[^}]+\}", environment["SITE_URL"])
        assert environment["DJANGO_ENV"] == "production"


def test_web_worker_and_beat_share_media_and_private_files(compose):
    """Whatever the worker writes (exports) the web container can read, and the reverse
    (uploaded learner files that the import confirms later, course media)."""
    volumes = compose["volumes"]
    shared = {}
    for name in APP_SERVICES:
        service = compose["services"][name]
        service_mounts = mounts(service)
        for variable in SHARED_PATHS:
            path = PurePosixPath(service["environment"][variable])
            holders = [
                (source, target)
                for target, source in service_mounts.items()
                if path == PurePosixPath(target) or PurePosixPath(target) in path.parents
            ]
            assert len(holders) == 1, f"{name}: {variable}={path} is not on one mounted volume"
            source, _target = holders[0]
            assert source in volumes, f"{name}: {variable} is on {source}, not a named volume"
            shared.setdefault(variable, set()).add((str(path), *holders[0]))
    assert all(len(places) == 1 for places in shared.values()), shared
    media = PurePosixPath(compose["services"]["web"]["environment"]["MEDIA_ROOT"])
    private = PurePosixPath(compose["services"]["web"]["environment"]["PRIVATE_ROOT"])
    assert media not in private.parents and private not in media.parents and media != private


def test_the_image_creates_the_mount_points_for_its_user(compose):
    """A new named volume takes the owner of its mount point in the image: without it, root."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    created = [
        PurePosixPath(p) for m in re.findall(r"mkdir -p ([^&\n]+)", dockerfile) for p in m.split()
    ]
    owned = [PurePosixPath(p) for p in re.findall(r"chown -R app (\S+)", dockerfile)]
    for target in mounts(compose["services"]["web"]):
        target = PurePosixPath(target)
        assert any(target == path or target in path.parents for path in created), target
        assert any(target == path or path in target.parents for path in owned), target


def test_long_running_services_restart_and_the_setup_runs_once(compose):
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert services["setup"]["restart"] == "no"


def test_services_wait_for_what_they_need(compose):
    services = compose["services"]
    for name in ("setup", *APP_SERVICES):
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"] == {"condition": "service_healthy"}, name
        assert depends_on["redis"] == {"condition": "service_healthy"}, name
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["setup"] == {
            "condition": "service_completed_successfully"
        }


def test_the_setup_loads_no_demo_accounts_unless_asked(compose):
    command = " ".join(compose["services"]["setup"]["command"])
    assert "migrate --noinput" in command
    assert re.search(
        r'if \[ "\$\{LOAD_DEMO:-false\}" = true \]; then python manage.py load_demo', command
    )


@pytest.fixture
def site_host(settings):
    settings.ALLOWED_HOSTS = ["hocvuso.example.vn"]
    return "hocvuso.example.vn"


def test_the_web_healthcheck_asks_healthz_under_the_sites_own_name(compose, live_server, site_host):
    command = healthcheck_command(compose["services"]["web"])
    assert "/healthz" in " ".join(command) and "/readyz" not in " ".join(command)
    port = str(live_server.thread.port)

    def check(site_url: str) -> int:
        env = {**os.environ, "PORT": port, "SITE_URL": site_url}
        return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode

    assert check(f"https://{site_host}") == 0
    assert check("https://not-this-site.example.vn") != 0  # refused by ALLOWED_HOSTS: 400


def test_the_beat_healthcheck_follows_the_pidfile_beat_writes(compose, tmp_path):
    beat = compose["services"]["beat"]
    pidfile = next(arg.split("=", 1)[1] for arg in beat["command"] if arg.startswith("--pidfile="))
    command = healthcheck_command(beat)
    assert pidfile in command[-1]
    probe = tmp_path / "beat.pid"

    def check(pid: int) -> int:
        probe.write_text(f"{pid}\n")
        script = command[-1].replace(pidfile, str(probe))
        return subprocess.run(["sh", "-c", script], capture_output=True).returncode

    assert check(os.getpid()) == 0
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    assert check(int(finished.stdout)) != 0


def test_each_kind_of_work_has_workers_of_its_own(compose):
    queues = {name: compose["services"][name]["command"][-1].split(",") for name in WORKERS}
    assert queues == {
        "worker": ["celery", "email"],
        "worker-stats": ["stats"],
        "worker-exports": ["exports"],
    }
    for name in WORKERS:
        assert compose["services"][name]["command"][-2] == "-Q"


@pytest.mark.celery
@pytest.mark.parametrize("name", WORKERS)
def test_the_worker_healthcheck_pings_that_worker_through_the_broker(compose, celery_worker, name):
    worker = compose["services"][name]
    assert not {"-n", "--hostname"} & set(worker["command"])  # so its name is celery@<hostname>
    command = healthcheck_command(worker)
    script = command[-1]
    assert '"celery@$HOSTNAME"' in script
    ping = shlex.split(script.replace('"celery@$HOSTNAME"', celery_worker.hostname))
    ping[0] = str(Path(sys.executable).with_name("celery"))
    result = subprocess.run(ping, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pong" in result.stdout
