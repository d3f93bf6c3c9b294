from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.learner_files import learner_import
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Import learners from a CSV or XLSX file. Every row is checked first; nothing is written "
        "if any row has an error. Invitation emails are queued for the workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, UTF-16 or Windows-1258) or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing"
        )
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="the administrator whose unit bounds the rows (default: the whole country)",
        )

    def handle(self, *args, file, dry_run, as_email, **options):
        importer = None
        if as_email:
            importer = User.objects.filter(email__iexact=as_email.strip()).first()
            if importer is None:
                raise CommandError(_("No account has the email %(email)s.") % {"email": as_email})
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            ) from error
        try:
            report = learner_import(content=content, importer=importer, dry_run=dry_run)
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from denied

        for message in report.refused:
            self.stdout.write(self.style.ERROR(message))
        for error in report.errors:
            self.stdout.write(
                _("Row %(row)d · %(column)s · “%(value)s”: %(message)s")
                % {
                    "row": error.row,
                    "column": error.column,
                    "value": error.value,
                    "message": error.message,
                }
            )
        self.stdout.write(
            _("Rows: %(rows)d. Ready: %(ready)d. Rows with errors: %(failed)d. Errors: %(errors)d.")
            % {
                "rows": report.rows,
                "ready": len(report.learners),
                "failed": report.rows_with_errors,
                "errors": len(report.errors),
            }
        )
        if report.ok and dry_run:
            self.stdout.write(self.style.SUCCESS(_("Dry run: nothing was written.")))
        elif report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported %(count)d learners; invitation emails are queued.")
                    % {"count": report.created}
                )
            )
        self.stdout.write(_("Elapsed: %(seconds).2f s") % {"seconds": report.elapsed})
        if not report.ok:
            raise CommandError(_("Nothing was imported: correct the file and run again."))
