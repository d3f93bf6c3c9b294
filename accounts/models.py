from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AudienceGroup(models.TextChoices):
    STUDENT = "student", _("Pupils and students")
    CITIZEN = "citizen", _("Citizens")
    OFFICIAL = "official", _("Officials and public employees")
    WORKER = "worker", _("Enterprise workers")


def counted_unit(*, prefix: str = "") -> Coalesce:
    """A learner's unit, in SQL: the workplace if any, else the home commune (User.unit in
    Python). `prefix` reaches the learner from another model ("user__")."""
    return Coalesce(f"{prefix}workplace_unit", f"{prefix}home_unit")


COUNTED_UNIT = counted_unit()
COUNTED_UNIT_PATH = Coalesce("workplace_unit__path", "home_unit__path")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


def _optional_unit(verbose_name: str, *, related_name: str) -> models.ForeignKey:
    """A user's link to a unit: optional, and a unit with people in it cannot be deleted."""
    return models.ForeignKey(
        "units.Unit",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
    )


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in by email. Profile fields are what the reports group by."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    audience_group = models.CharField(
        _("audience group"), max_length=20, choices=AudienceGroup.choices, blank=True
    )
    home_unit = _optional_unit(_("commune / ward"), related_name="residents")
    workplace_unit = _optional_unit(_("workplace"), related_name="workers")
    phone = models.CharField(_("phone"), max_length=10, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    invited_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)
    # Any save touches it: the statistics engine finds moved learners from it.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # Registered learners per counted unit and group, read from the index alone.
            models.Index(
                COUNTED_UNIT,
                "audience_group",
                include=["workplace_unit", "home_unit"],
                condition=Q(is_active=True),
                name="user_population_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split()[-1] if self.full_name else self.email

    @property
    def unit(self):
        """The unit the learner is counted under: the workplace if any, else the home commune
        (in SQL: COUNTED_UNIT and COUNTED_UNIT_PATH)."""
        return self.workplace_unit or self.home_unit


class Role(models.TextChoices):
    OFFICIAL = "official", _("Official (reports)")
    CONTENT_ADMIN = "content_admin", _("Content administrator")


class UnitRole(models.Model):
    """A duty bound to one unit: it reaches that unit and everything below it."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="unit_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="roles"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("unit role")
        verbose_name_plural = _("unit roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unitrole_one_unit_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.unit}"
