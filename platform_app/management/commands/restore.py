"""Restore an archive made by `backup`: the database, MEDIA_ROOT and PRIVATE_ROOT.

Stop web, worker and beat first. An archive whose migrations are newer than the code is refused
before anything is touched; an older one is restored with a warning (then run `migrate` and
`rebuild_stats`).
"""

import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .backup import (
    ARCHIVE_FORMAT,
    DATABASE_FILES,
    MANIFEST_NAME,
    STAGING_PREFIX,
    database_engine,
    file_roots,
    migrations_compare,
    postgres_env,
    run_tool,
    sqlite_copy,
)

# A table in `pg_restore --list`: "215; 1259 16386 TABLE public accounts_user owner".
TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", re.MULTILINE)


def _inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def roots_check(roots: dict[str, Path]) -> dict[str, Path]:
    """Restore empties these folders: refuse any that holds the code or another of them."""
    resolved = {name: root.resolve() for name, root in roots.items()}
    code = Path(settings.BASE_DIR).resolve()
    for name, root in resolved.items():
        if _inside(code, root):
            raise CommandError(f"Refusing to restore into {root}: it holds the platform's code.")
        for other_name, other in resolved.items():
            if other_name != name and _inside(other, root):
                raise CommandError(f"Refusing to restore: {other} is inside {root}.")
    return resolved


def manifest_read(tar: tarfile.TarFile, archive: Path) -> dict:
    member = tar.next()
    if member is None or member.name != MANIFEST_NAME or not member.isfile():
        raise CommandError(f"{archive} is not a backup archive: it does not start with a manifest.")
    try:
        manifest = json.load(tar.extractfile(member))
        engine = manifest["database"]["engine"]
        migrations = manifest["migrations"]
        version = int(manifest["format"])
    except (ValueError, KeyError, TypeError) as error:
        raise CommandError(f"{archive} has an unreadable manifest ({error}).") from error
    if version > ARCHIVE_FORMAT:
        raise CommandError(
            f"{archive} was made by a newer version of the platform (archive format {version})."
        )
    if manifest["database"].get("file") != DATABASE_FILES.get(engine):
        raise CommandError(f"{archive} names an unknown database file.")
    if not isinstance(migrations, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in migrations.items()
    ):
        raise CommandError(f"{archive} has an unreadable list of migrations.")
    return manifest


class Command(BaseCommand):
    help = (
        "Restore an archive made by `backup` into the configured database, MEDIA_ROOT and "
        "PRIVATE_ROOT, replacing what they hold. Stop web, worker and beat first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="a .tar.gz written by `manage.py backup`")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        engine = database_engine()
        roots = roots_check(file_roots())
        try:
            tar = tarfile.open(archive, "r:gz")
        except (tarfile.TarError, OSError) as error:
            raise CommandError(f"{archive} is not a backup archive ({error}).") from error

        with tar, tempfile.TemporaryDirectory(prefix="bdhvs-restore-") as work:
            manifest = manifest_read(tar, archive)
            archived_engine = manifest["database"]["engine"]
            if archived_engine != engine:
                raise CommandError(
                    f"The archive holds a {archived_engine} database but this site uses "
                    f"{engine}: point DATABASE_URL at a {archived_engine} database."
                )
            newer, older = migrations_compare(manifest["migrations"])
            if newer:
                raise CommandError(
                    "The archive comes from a newer version of the platform: this code does not "
                    f"know its migrations {', '.join(newer)}. Restore it with the code it was "
                    "made with, or a newer one."
                )
            if options["interactive"]:
                self.confirm(manifest, roots, older)

            stagings = {}
            try:
                for name, root in roots.items():
                    root.mkdir(parents=True, exist_ok=True)
                    stagings[name] = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
                database_file = self.unpack(tar, manifest, Path(work), stagings)
                self.database_restore(engine, database_file)
                counts = {
                    name: self.files_replace(root, stagings[name], name)
                    for name, root in roots.items()
                }
            finally:
                for staging in stagings.values():
                    shutil.rmtree(staging, ignore_errors=True)

        self.stdout.write(
            f"Restored {archive} (made {manifest.get('created_at')}, platform "
            f"{manifest.get('platform_version') or 'unknown'}): {engine} database, "
            f"{counts['media']} media files, {counts['private']} private files."
        )
        if older:
            self.stderr.write(
                self.style.WARNING(
                    "The archive is older than the code (" + ", ".join(older) + "). "
                    "Now run `python manage.py migrate`, then `python manage.py rebuild_stats`."
                )
            )

    def confirm(self, manifest: dict, roots: dict[str, Path], older: list[str]) -> None:
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        lines = [
            f"This replaces everything in the database {name} and in "
            f"{' and '.join(str(root) for root in roots.values())} with the backup made "
            f"{manifest.get('created_at')}.",
            "Stop web, worker and beat first.",
        ]
        if older:
            lines.append("The archive is older than the code: run migrate and rebuild_stats after.")
        if input("\n".join(lines) + "\nType 'yes' to continue: ").strip() != "yes":
            raise CommandError("Restore cancelled.")

    def unpack(
        self, tar: tarfile.TarFile, manifest: dict, work: Path, stagings: dict[str, Path]
    ) -> Path:
        """Extract everything before anything is replaced; refuse unexpected or unsafe entries."""
        database_name = manifest["database"]["file"]
        database_file = None
        while (member := tar.next()) is not None:
            top = member.name.split("/", 1)[0]
            if member.name == database_name and member.isfile():
                destination = work
                database_file = work / database_name
            elif top in stagings:
                destination = stagings[top]
            else:
                raise CommandError(f"Unexpected entry in the archive: {member.name}")
            try:
                tar.extract(member, destination, filter="data")
            except tarfile.FilterError as error:
                raise CommandError(f"Unsafe entry in the archive: {error}") from error
        if database_file is None:
            raise CommandError(f"The archive holds no {database_name}.")
        return database_file

    def database_restore(self, engine: str, database_file: Path) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        settings_dict = connection.settings_dict
        if engine == "sqlite":
            connections.close_all()
            target = Path(settings_dict["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                sqlite_copy(str(database_file), str(target))
            except sqlite3.Error as error:
                raise CommandError(f"Could not write {target}: {error}") from error
            return

        env = postgres_env(settings_dict)
        listing = run_tool(["pg_restore", "--list", str(database_file)], env=env).stdout
        archived_tables = set(TOC_TABLE.findall(listing))
        self.tables_drop_missing(archived_tables)
        connections.close_all()
        run_tool(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--dbname",
                str(settings_dict["NAME"]),
                str(database_file),
            ],
            env=env,
        )

    def tables_drop_missing(self, archived_tables: set[tuple[str, str]]) -> None:
        """Drop tables the archive does not have (made by later migrations), so that `migrate`
        can create them again; `pg_restore --clean` replaces only what the archive holds."""
        connection = connections[DEFAULT_DB_ALIAS]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (others,) = cursor.fetchone()
            if others:
                self.stderr.write(
                    self.style.WARNING(
                        f"{others} other connection(s) use this database: stop web, worker and "
                        "beat, or the restore may wait for their locks."
                    )
                )
            cursor.execute(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname = ANY(current_schemas(false))"
            )
            stale = [tuple(row) for row in cursor.fetchall() if tuple(row) not in archived_tables]
            with transaction.atomic():
                for schema, table in stale:
                    cursor.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)} CASCADE")
        if stale:
            self.stdout.write(
                "Dropped tables the archive does not have: "
                + ", ".join(table for _schema, table in stale)
            )

    @staticmethod
    def files_replace(root: Path, staging: Path, name: str) -> int:
        """Empty `root` (but for the staging folder) and move the unpacked files in."""
        for entry in root.iterdir():
            if entry == staging:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        unpacked = staging / name
        if not unpacked.is_dir():
            return 0
        count = sum(len(files) for _folder, _subfolders, files in os.walk(unpacked))
        for entry in unpacked.iterdir():
            os.replace(entry, root / entry.name)
        return count
