"""Back up the database, MEDIA_ROOT and PRIVATE_ROOT into one timestamped .tar.gz.

PostgreSQL is dumped with `pg_dump -Fc`; SQLite is copied with the online backup API, so both
are safe while the site runs. A manifest records when, which engine, and the latest applied
migration per app, so `restore` can refuse an archive newer than the code.
"""

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

ARCHIVE_FORMAT = 1
MANIFEST_NAME = "manifest.json"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
STAGING_PREFIX = ".restore-"  # restore unpacks beside the files it replaces; never backed up


def file_roots() -> dict[str, Path]:
    """Archive folder name -> directory it holds."""
    return {
        "media": Path(settings.MEDIA_ROOT),
        "private": Path(getattr(settings, "PRIVATE_ROOT", Path(settings.VAR_DIR) / "private")),
    }


def database_engine(alias: str = DEFAULT_DB_ALIAS) -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise CommandError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def postgres_env(settings_dict: dict) -> dict[str, str]:
    """The environment that points pg_dump / pg_restore at the configured database (a password
    in the environment, not in the process list)."""
    options = settings_dict.get("OPTIONS") or {}
    env = dict(os.environ)
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
    }
    env.update({name: str(value) for name, value in pairs.items() if value})
    return env


def run_tool(args: list[str], *, env: dict[str, str]) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise CommandError(
            f"{args[0]} is not installed: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)."
        ) from error
    if result.returncode != 0:
        raise CommandError(f"{args[0]} failed:\n{result.stderr.strip()}")
    return result


def code_migrations() -> MigrationLoader:
    """The migrations on disk, squashed ones replacing what they replace."""
    return MigrationLoader(None, ignore_no_migrations=True)


def latest_per_app(applied) -> dict[str, str]:
    """The latest applied migration of every app: the one with the longest plan in the code's
    graph (names alone mis-order squashed migrations); unknown names fall back to name order."""
    graph = code_migrations().graph
    by_app: dict[str, list[str]] = {}
    for app_label, name in applied:
        by_app.setdefault(app_label, []).append(name)

    def rank(app_label: str, name: str) -> tuple[int, str]:
        key = (app_label, name)
        return (len(graph.forwards_plan(key)) if key in graph.nodes else -1, name)

    return {
        app_label: max(names, key=lambda name, app_label=app_label: rank(app_label, name))
        for app_label, names in sorted(by_app.items())
    }


def migrations_compare(archived: dict[str, str]) -> tuple[list[str], list[str]]:
    """(newer, older): archived migrations the code does not know, and apps whose archived state
    is behind the code's latest migration."""
    loader = code_migrations()
    graph = loader.graph
    replaced_by = {
        original: squashed
        for squashed, migration in loader.replacements.items()
        for original in migration.replaces
    }
    newer, older = [], []
    for app_label, name in sorted(archived.items()):
        key = (app_label, name)
        if key in replaced_by:
            squashed = replaced_by[key]
            is_last = loader.replacements[squashed].replaces[-1] == key
            key = squashed if is_last else None
        if key is not None and key not in graph.nodes:
            newer.append(f"{app_label}.{name}")
        elif key is None or key not in graph.leaf_nodes(app_label):
            older.append(f"{app_label}.{name}")
    for app_label in sorted(loader.migrated_apps - set(archived)):
        if graph.leaf_nodes(app_label):
            older.append(f"{app_label} (none applied)")
    return newer, older


def platform_version() -> str | None:
    try:
        return metadata.version("binhdan-hocvu-so")
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib

        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, ValueError):
        return None


def sqlite_copy(source: str, target: str) -> None:
    """SQLite's online backup: a consistent copy, committed writes still in the WAL included."""
    source_db = sqlite3.connect(source, timeout=30)
    target_db = sqlite3.connect(target)
    try:
        with target_db:
            source_db.backup(target_db)
    finally:
        target_db.close()
        source_db.close()


def sqlite_applied(path: str) -> list[tuple[str, str]]:
    database = sqlite3.connect(path)
    try:
        return database.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.OperationalError:  # never migrated
        return []
    finally:
        database.close()


class Command(BaseCommand):
    help = (
        "Back up the database and the media and private files into one timestamped "
        ".tar.gz in DIR. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where to write the archive (created if missing)")

    def handle(self, *args, **options):
        directory = Path(options["directory"]).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        engine = database_engine()
        now = datetime.now(UTC)
        archive = directory / f"bdhvs-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
        if archive.exists():
            raise CommandError(f"{archive} already exists.")

        with tempfile.TemporaryDirectory(prefix=".backup-", dir=directory) as work:
            database_file = Path(work) / DATABASE_FILES[engine]
            applied = self.database_dump(engine, database_file)
            manifest = {
                "format": ARCHIVE_FORMAT,
                "created_at": now.isoformat(timespec="seconds"),
                "platform_version": platform_version(),
                "django_version": django.get_version(),
                "database": {"engine": engine, "file": database_file.name},
                "migrations": latest_per_app(applied),
            }
            partial = Path(work) / archive.name
            with tarfile.open(partial, "w:gz") as tar:
                # First, so that restore checks it before it reads anything else.
                self.add_bytes(tar, MANIFEST_NAME, json.dumps(manifest, indent=2).encode(), now)
                tar.add(database_file, arcname=database_file.name)
                counts = {
                    name: self.add_tree(tar, name, root, now) for name, root in file_roots().items()
                }
            partial.chmod(0o600)  # password hashes and learners' personal data
            os.replace(partial, archive)  # a half-written archive never carries the final name

        self.stdout.write(
            f"{archive}\n  database: {engine}; media files: {counts['media']}; "
            f"private files: {counts['private']}"
        )

    def database_dump(self, engine: str, target: Path) -> list[tuple[str, str]]:
        """Write the database to `target`; return the migrations applied in that copy."""
        connection = connections[DEFAULT_DB_ALIAS]
        if engine == "sqlite":
            sqlite_copy(str(connection.settings_dict["NAME"]), str(target))
            return sqlite_applied(str(target))
        applied = list(MigrationRecorder(connection).applied_migrations())
        run_tool(
            ["pg_dump", "--format=custom", "--file", str(target)],
            env=postgres_env(connection.settings_dict),
        )
        return applied

    @staticmethod
    def add_bytes(tar: tarfile.TarFile, name: str, content: bytes, now: datetime) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mtime = int(now.timestamp())
        tar.addfile(info, io.BytesIO(content))

    @staticmethod
    def add_tree(tar: tarfile.TarFile, name: str, root: Path, now: datetime) -> int:
        """Add `root` as the folder `name` (empty when missing); return how many files."""
        folder = tarfile.TarInfo(name)
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o755
        folder.mtime = int(now.timestamp())
        tar.addfile(folder)
        files = 0
        for current, subfolders, names in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith(STAGING_PREFIX))
            for entry in [*subfolders, *sorted(names)]:
                path = Path(current) / entry
                try:
                    tar.add(
                        path, arcname=f"{name}/{path.relative_to(root).as_posix()}", recursive=False
                    )
                except FileNotFoundError:  # deleted meanwhile, e.g. an expired export
                    continue
                if entry in names:
                    files += 1
        return files
