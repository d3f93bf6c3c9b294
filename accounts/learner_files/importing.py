"""A learner file checked and, unless it is a dry run, written all at once or not at all.

The write is one transaction: bulk inserts of the learners and their email addresses, an audit
record, and invitations enqueued after commit.
"""

import logging
import secrets
import time
from functools import partial

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record

from ..models import Role, UnitRole, User
from ..services import invitations_schedule
from .checks import ImportReport, LearnerRow, rows_check
from .limits import ImportRefused
from .reading import table_read

logger = logging.getLogger(__name__)


def learner_import_allowed(*, user: User) -> bool:
    """Superusers and content administrators may import learners into their unit's subtree."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or UnitRole.objects.filter(user=user, role=Role.CONTENT_ADMIN).exists()


def _learners_create(rows: list[LearnerRow]) -> list[int]:
    users = []
    for row in rows:
        user = User(
            email=row.email,
            full_name=row.full_name,
            audience_group=row.audience_group,
            home_unit=row.home_unit,
            workplace_unit=row.workplace_unit,
            phone=row.phone,
            is_active=True,
        )
        # Unusable until the learner chooses one from the invitation link; the same value
        # set_unusable_password() makes, without its per-character random draws (10,000 rows).
        user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        users.append(user)
    User.objects.bulk_create(users, batch_size=2000)
    if any(user.pk is None for user in users):  # databases that cannot return bulk-insert ids
        ids = dict(
            User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk")
        )
        for user in users:
            user.pk = ids[user.email]
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.pk, email=u.email, verified=False, primary=True) for u in users],
        batch_size=2000,
    )
    return [user.pk for user in users]


def _learners_write(*, report: ImportReport, importer: User | None) -> None:
    """Inside the transaction that checked the rows."""
    ids = _learners_create(report.learners)
    report.created = len(ids)
    transaction.on_commit(partial(invitations_schedule, user_ids=ids), robust=True)
    audit_record(
        actor=importer,
        action=AuditAction.LEARNERS_IMPORTED,
        target_repr=_("%(count)d learners") % {"count": len(ids)},
        details={"created": len(ids), "first_id": ids[0], "last_id": ids[-1]},
    )


def _report_made(*, content: bytes, importer: User | None, dry_run: bool) -> ImportReport:
    try:
        table = table_read(content=content)
        if dry_run:
            return rows_check(table=table, importer=importer)
        with transaction.atomic():
            report = rows_check(table=table, importer=importer)
            if report.ok:
                _learners_write(report=report, importer=importer)
        return report
    except ImportRefused as refused:
        return ImportReport(refused=refused.messages)
    except IntegrityError:
        # Someone registered one of these emails between the check and the insert.
        return ImportReport(
            refused=[
                _(
                    "An account was created meanwhile with one of these emails. "
                    "Run the import again."
                )
            ]
        )


def learner_import(*, content: bytes, importer: User | None, dry_run: bool = True) -> ImportReport:
    """Check a learner file and, unless it is a dry run, create every learner or none.

    `importer` is the administrator whose unit bounds the rows; None (the management command
    run by an operator) means the whole country.
    """
    started = time.monotonic()
    if importer is not None and not learner_import_allowed(user=importer):
        raise PermissionDenied(_("Only content administrators can import learners."))
    report = _report_made(content=content, importer=importer, dry_run=dry_run)
    report.dry_run = dry_run
    report.elapsed = time.monotonic() - started
    if report.created:
        logger.info(
            "learner import: %s created %d learners in %.1f s",
            importer.email if importer else "operator",
            report.created,
            report.elapsed,
        )
    return report
