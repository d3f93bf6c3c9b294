"""Who may author which courses: the one scope every admin page, preview and export goes through.

A content administrator is a staff user with a "content_admin" unit role; they reach the
courses owned by that unit's subtree (the whole country when the unit is the nation).
A superuser reaches everything.
"""

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import role_root_unit, scoped, units_visible_to
from units.models import Unit

from .models import Course, CourseStatus

CONTENT_ADMINS_GROUP = "Quản trị nội dung"
OFFICIALS_GROUP = "Cán bộ theo dõi"

# app_label.codename granted to each group by `services.roles.roles_setup`.
CONTENT_ADMIN_PERMISSIONS = [
    *(
        f"courses.{action}_{model}"
        for model in ("course", "module", "lesson", "question", "choice", "assignment")
        for action in ("add", "change", "view")
    ),
    # Wrong choices, questions and assignments must be removable by their authors.
    "courses.delete_question",
    "courses.delete_choice",
    "courses.delete_assignment",
    "courses.view_enrollment",
    "courses.view_certificate",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_user",
    "units.view_unit",
]
# Officials read the precomputed reports, which check their unit role, not model permissions.
OFFICIAL_PERMISSIONS: list[str] = []


def _is_author(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def content_root_unit(*, user: User) -> Unit | None:
    """The top unit whose courses the user authors, or None."""
    if not _is_author(user):
        return None
    return role_root_unit(user=user, role=Role.CONTENT_ADMIN)


def content_units(*, user: User) -> QuerySet[Unit]:
    """Units a course may be owned by or assigned to, for this author."""
    if not _is_author(user):
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    return units_visible_to(user=user, role=Role.CONTENT_ADMIN)


def scope_by_course(queryset: QuerySet, *, user: User, course_field: str = "course") -> QuerySet:
    """Keep the rows whose course (reached through `course_field`, "" for Course itself) is
    owned inside the user's authoring scope."""
    if not _is_author(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    prefix = f"{course_field}__" if course_field else ""
    return scoped(
        queryset, user=user, role=Role.CONTENT_ADMIN, unit_path=f"{prefix}owner_unit__path"
    )


def content_courses(*, user: User) -> QuerySet[Course]:
    return scope_by_course(Course.objects.all(), user=user, course_field="")


def assignable_courses(*, user: User) -> QuerySet[Course]:
    """Courses an administrator may assign to their units: their own, and every published
    course (a province assigns the national courses to its officials)."""
    if not _is_author(user) or content_root_unit(user=user) is None and not user.is_superuser:
        return Course.objects.none()
    return Course.objects.filter(
        Q(pk__in=content_courses(user=user).values("pk")) | Q(status=CourseStatus.PUBLISHED)
    )


def scope_assignments(queryset: QuerySet, *, user: User) -> QuerySet:
    """Assignments are scoped by the unit they bind, not by who owns the course."""
    if not _is_author(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return scoped(queryset, user=user, role=Role.CONTENT_ADMIN, unit_path="unit__path")


def course_in_scope(*, user: User, course: Course) -> bool:
    return content_courses(user=user).filter(pk=course.pk).exists()


def unit_in_scope(*, user: User, unit: Unit) -> bool:
    return content_units(user=user).filter(pk=unit.pk).exists()
