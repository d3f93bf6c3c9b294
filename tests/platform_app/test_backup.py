"""`manage.py backup` and `restore`: round trips on PostgreSQL and SQLite, and the refusals.

The PostgreSQL test restores into a scratch database of its own (bdhvs_backup_<random>) on the
test server and drops it afterwards. Restores and checks run as `manage.py` subprocesses whose
DATABASE_URL, MEDIA_ROOT and PRIVATE_ROOT point at the restored copy.
"""

import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from courses import services
from courses.models import Certificate
from reports.exports import export_build
from reports.models import ExportJob, UnitStat
from reports.stats import stats_full_rebuild
from tests.accounts.factories import UserFactory
from tests.courses.factories import course_build
from tests.reports.factories import official_of
from units.loader import units_load
from units.models import Unit

ROOT = Path(__file__).resolve().parents[2]
COVER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # any bytes: only their identity matters

# Prints what a restored site shows: the report figures and each certificate's public page.
PROBE = """
import json, re
from django.test import Client
from courses.models import Certificate
from reports.models import ExportJob, UnitStat
fields = [field.attname for field in UnitStat._meta.concrete_fields if field.name != "id"]
cells = UnitStat.objects.order_by("unit_id", "course_key", "audience_group")
stats = list(cells.values_list(*fields))
pages = {}
for code in Certificate.objects.order_by("code").values_list("code", flat=True):
    response = Client().get("/verify/" + code)
    section = re.search(r'<section class="narrow card certificate-verify".*?</section>',
                        response.content.decode(), re.S)
    pages[code] = [response.status_code, section and section.group(0)]
exports = sorted(ExportJob.objects.values_list("file", flat=True))
print(json.dumps({"stats": stats, "verify": pages, "exports": exports}, default=str))
"""


def manage(*args: str, env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def site_env(tmp_path: Path, database_url: str, files: Path) -> dict:
    """A site of its own: database, media and private roots, var dir; no shared Redis."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env.update(
        DJANGO_ENV="development",
        DATABASE_URL=database_url,
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(files / "media"),
        PRIVATE_ROOT=str(files / "private"),
        ALLOWED_HOSTS="testserver",
    )
    return env


def probe(env: dict) -> dict:
    result = manage("shell", "--no-imports", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def only_archive(directory: Path) -> Path:
    archives = list(directory.glob("bdhvs-backup-*.tar.gz"))
    assert len(archives) == 1, archives
    return archives[0]


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        first = tar.next()
        assert first.name == "manifest.json"
        return json.load(tar.extractfile(first))


def archive_rewrite(archive: Path, target: Path, *, manifest=None, extra=None) -> Path:
    """A copy of `archive` with another manifest and/or an extra (name, bytes) entry."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            content = source.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
                member.size, content = len(data), io.BytesIO(data)
            copy.addfile(member, content)
        if extra:
            name, data = extra
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


def code_leaves() -> dict[str, str]:
    """The latest migration of every app in the code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = {app: loader.graph.leaf_nodes(app) for app in loader.migrated_apps}
    assert all(len(nodes) == 1 for nodes in leaves.values())
    return {app: nodes[0][1] for app, nodes in leaves.items()}


# PostgreSQL ------------------------------------------------------------------------------------


def postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}{host}:{settings_dict['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_database():
    """An empty database of this test's own on the test server, dropped afterwards."""
    import psycopg
    from django.db import connection
    from psycopg import sql

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL round trip needs the tests to run on PostgreSQL")
    params = connection.settings_dict
    server = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = f"bdhvs_backup_{secrets.token_hex(6)}"
    with psycopg.connect(**server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres_url(params, name)
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def learners_complete(course, learners) -> list[Certificate]:
    certificates = []
    for learner in learners:
        services.enrollment_create(user=learner, course=course)
        for lesson in course.lessons.order_by("module__position", "position"):
            services.lesson_complete(user=learner, lesson=lesson)
        certificates.append(Certificate.objects.get(enrollment__user=learner))
    return certificates


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_an_empty_database(tmp_path, settings, scratch_database):
    from django.db import connection

    source_files = tmp_path / "source"
    settings.MEDIA_ROOT = source_files / "media"
    settings.PRIVATE_ROOT = source_files / "private"
    units_load()
    course = course_build(title="An toàn trên không gian mạng", quiz=False)
    course.cover_image.save("bia-khoa-hoc.png", ContentFile(COVER))
    certificates = learners_complete(course, [UserFactory() for _ in range(3)])
    services.certificate_revoke(certificate=certificates[-1], reason="Cấp nhầm")
    services.enrollment_create(user=UserFactory(), course=course)  # started, not completed
    stats_full_rebuild()
    job = ExportJob.objects.create(
        requester=official_of("31"), unit=Unit.objects.get(code="31"), file_format="csv"
    )
    assert export_build(job_id=job.pk).status == ExportJob.Status.DONE

    source_env = site_env(
        tmp_path,
        postgres_url(connection.settings_dict, connection.settings_dict["NAME"]),
        source_files,
    )
    before = probe(source_env)
    assert len(before["stats"]) == UnitStat.objects.count() > 0
    assert sorted(before["verify"]) == sorted(c.code for c in certificates)
    assert all(status == 200 and page for status, page in before["verify"].values())
    assert len(tree(settings.MEDIA_ROOT)) == 1 and len(tree(settings.PRIVATE_ROOT)) == 1

    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    archive = only_archive(tmp_path / "backups")
    manifest = manifest_of(archive)
    assert manifest["database"]["engine"] == "postgresql"
    assert manifest["migrations"]["courses"] == code_leaves()["courses"]

    restored_files = tmp_path / "restored"
    restored_env = site_env(tmp_path, scratch_database, restored_files)
    result = manage("restore", str(archive), "--noinput", env=restored_env)
    assert result.returncode == 0, result.stderr
    assert "older" not in result.stderr

    assert probe(restored_env) == before
    assert tree(restored_files / "media") == tree(settings.MEDIA_ROOT)
    assert tree(restored_files / "private") == tree(settings.PRIVATE_ROOT)


# SQLite ----------------------------------------------------------------------------------------


def sqlite_site(tmp_path: Path, name: str) -> tuple[dict, Path, Path]:
    """A migrated SQLite site in tmp_path/name: (environment, database file, files folder)."""
    folder = tmp_path / name
    database = folder / "site.sqlite3"
    env = site_env(folder, f"sqlite:///{database}", folder / "files")
    result = manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    return env, database, folder / "files"


def files_put(files: Path, contents: dict[str, bytes]) -> None:
    for relative, data in contents.items():
        path = files / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def dump(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_a_sqlite_backup_taken_while_a_writer_works_restores_what_was_committed(tmp_path):
    env, database, files = sqlite_site(tmp_path, "source")
    files_put(
        files,
        {
            "media/courses/covers/bia.png": COVER,
            "private/files/exports/2025/10/bao-cao.csv": "Đơn vị,Hoàn thành\n".encode(),
        },
    )
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        # Committed, but still in the write-ahead log: a plain copy of the file would miss it.
        writer.execute("INSERT INTO auth_group (name) VALUES ('committed before the backup')")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO auth_group (name) VALUES ('never committed')")
        result = manage("backup", str(tmp_path / "backups"), env=env)
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert result.returncode == 0, result.stderr
    archive = only_archive(tmp_path / "backups")
    assert manifest_of(archive)["migrations"] == code_leaves()
    assert archive.stat().st_mode & 0o077 == 0  # for its owner's eyes only

    target_env, target, target_files = sqlite_site(tmp_path, "target")
    files_put(target_files, {"media/only-in-the-target.txt": b"stale"})
    result = manage("restore", str(archive), "--noinput", env=target_env)
    assert result.returncode == 0, result.stderr

    assert dump(target) == dump(database)
    groups = sqlite3.connect(target).execute("SELECT name FROM auth_group").fetchall()
    assert groups == [("committed before the backup",)]
    assert tree(target_files) == tree(files)


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("sqlite-archive")
    env, _database, files = sqlite_site(tmp_path, "source")
    files_put(files, {"media/courses/covers/bia.png": COVER})
    result = manage("backup", str(tmp_path / "backups"), env=env)
    assert result.returncode == 0, result.stderr
    return only_archive(tmp_path / "backups")


@pytest.fixture
def untouched_target(tmp_path):
    """A site the refused restores must leave exactly as it was."""
    env = site_env(tmp_path, f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "files")
    files_put(tmp_path / "files", {"media/keep.txt": b"keep"})

    def unchanged() -> bool:
        return not (tmp_path / "target.sqlite3").exists() and tree(tmp_path / "files") == {
            "media/keep.txt": b"keep"
        }

    return env, unchanged


@pytest.mark.parametrize(
    ("app", "migration"),
    [("courses", "9999_from_a_later_version"), ("certificates_v2", "0001_initial")],
)
def test_an_archive_newer_than_the_code_is_refused_before_anything_changes(
    sqlite_archive, tmp_path, untouched_target, app, migration
):
    manifest = manifest_of(sqlite_archive)
    manifest["migrations"][app] = migration
    newer = archive_rewrite(sqlite_archive, tmp_path / "newer.tar.gz", manifest=manifest)
    env, unchanged = untouched_target

    result = manage("restore", str(newer), "--noinput", env=env)

    assert result.returncode == 1
    assert "newer version of the platform" in result.stderr
    assert f"{app}.{migration}" in result.stderr
    assert "Traceback" not in result.stderr
    assert unchanged()


def test_an_archive_older_than_the_code_is_restored_with_the_next_steps(sqlite_archive, tmp_path):
    manifest = manifest_of(sqlite_archive)
    assert manifest["migrations"]["courses"] != "0001_initial"
    manifest["migrations"]["courses"] = "0001_initial"
    older = archive_rewrite(sqlite_archive, tmp_path / "older.tar.gz", manifest=manifest)
    env = site_env(tmp_path, f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "files")

    result = manage("restore", str(older), "--noinput", env=env)

    assert result.returncode == 0, result.stderr
    assert "older than the code (courses.0001_initial)" in result.stderr
    assert "manage.py migrate" in result.stderr and "manage.py rebuild_stats" in result.stderr
    assert tree(tmp_path / "files" / "media") == {"courses/covers/bia.png": COVER}


def test_an_archive_with_an_entry_outside_its_folders_is_refused(
    sqlite_archive, tmp_path, untouched_target
):
    unsafe = archive_rewrite(
        sqlite_archive, tmp_path / "unsafe.tar.gz", extra=("media/../../escaped.txt", b"x")
    )
    env, unchanged = untouched_target

    result = manage("restore", str(unsafe), "--noinput", env=env)

    assert result.returncode == 1
    assert "Unsafe entry" in result.stderr and "Traceback" not in result.stderr
    assert unchanged()
    assert not (tmp_path / "escaped.txt").exists()


def test_a_restore_asks_before_it_replaces_anything(sqlite_archive, tmp_path, untouched_target):
    env, unchanged = untouched_target

    result = manage("restore", str(sqlite_archive), env=env, stdin="no\n")

    assert result.returncode == 1
    assert "Type 'yes' to continue" in result.stdout
    assert "Restore cancelled" in result.stderr
    assert unchanged()
