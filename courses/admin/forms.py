"""Forms and formsets of the authoring admin. Rules live in courses.services.authoring; these
only ask."""

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminDateWidget, FilteredSelectMultiple
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup

from ..models import Assignment, Course, CourseStatus, Lesson, LessonKind
from ..permissions import assignable_courses, content_units
from ..sanitize import text_fold
from ..services import authoring
from ..services.transfer import limits
from .scoping import scoped_unit_field

# Uploads ---------------------------------------------------------------------------------
VIDEO_EXTENSIONS = {".mp4", ".m4v", ".webm", ".ogv"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
# Documents learners download; never a page or a script the browser would run.
ATTACHMENT_EXTENSIONS = {
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".txt",
    ".csv",
    ".zip",
    *IMAGE_EXTENSIONS,
}


def upload_checked(upload, *, extensions: set[str], max_bytes: int):
    """A newly uploaded file of an allowed kind and size; stored files pass as they are."""
    if not isinstance(upload, UploadedFile):
        return upload
    suffix = PurePosixPath(upload.name or "").suffix.lower()
    if suffix not in extensions:
        raise forms.ValidationError(
            gettext("Files of this kind are not accepted here. Allowed: %(kinds)s.")
            % {"kinds": ", ".join(sorted(extensions))}
        )
    if upload.size > max_bytes:
        raise forms.ValidationError(
            gettext("The file is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes)}
        )
    return upload


# Courses ---------------------------------------------------------------------------------


class CourseAdminForm(forms.ModelForm):
    audiences = forms.MultipleChoiceField(
        label=_("Audience groups"),
        choices=AudienceGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "summary",
            "description",
            "owner_unit",
            "audiences",
            "competency_area",
            "level",
            "estimated_minutes",
            "sequential",
            "cover_image",
            "cover_alt",
            "status",
            "featured",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "audiences" in self.fields:
            self.initial["audiences"] = self.instance.audience_list
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Leave empty to make it from the title.")

    def clean_slug(self):
        """Made on the server from the accent-folded title: "Chuyển đổi số" -> "chuyen-doi-so"
        (the admin's JavaScript slugifier drops Vietnamese letters)."""
        typed = self.cleaned_data.get("slug") or self.cleaned_data.get("title") or ""
        base = slugify(text_fold(typed))[:100].strip("-") or "khoa-hoc"
        candidate, number = base, 2
        while Course.objects.filter(slug=candidate).exclude(pk=self.instance.pk).exists():
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def clean_cover_image(self):
        return upload_checked(
            self.cleaned_data.get("cover_image"),
            extensions=IMAGE_EXTENSIONS,
            max_bytes=settings.IMAGE_MAX_BYTES,
        )

    def clean_audiences(self):
        chosen = self.cleaned_data["audiences"]
        return "," + ",".join(chosen) + "," if chosen else ""

    def clean(self):
        cleaned = super().clean()
        wanted = cleaned.get("status")
        was = self.initial.get("status") if self.instance.pk else None
        if wanted == CourseStatus.PUBLISHED and was != CourseStatus.PUBLISHED:
            problems = authoring.course_publish_problems(course=self.instance)
            if problems:
                self.add_error("status", [_("The course cannot be published yet."), *problems])
        return cleaned


class ModuleInlineFormSet(BaseInlineFormSet):
    """A published course must keep at least one lesson while its modules are edited."""

    def clean(self):
        super().clean()
        course = self.instance
        if not course.pk or course.status != CourseStatus.PUBLISHED:
            return
        deleted = [
            form.instance.pk
            for form in self.forms
            if form.instance.pk and self.can_delete and self._should_delete_form(form)
        ]
        if deleted and not Lesson.objects.filter(course=course).exclude(module__in=deleted):
            raise forms.ValidationError(
                _(
                    "A published course needs at least one lesson. Move it back to draft or "
                    "archive it before deleting these modules."
                )
            )


def _https_urls(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class LessonAdminForm(forms.ModelForm):
    class Meta:
        model = Lesson
        formfield_callback = _https_urls
        fields = [
            "module",
            "title",
            "kind",
            "position",
            "estimated_minutes",
            "body",
            "video_file",
            "video_url",
            "transcript",
            "attachment",
            "pass_mark",
            "max_attempts",
            "shuffle",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        module_field = self.fields.get("module")
        if module_field is not None and self.instance.pk:
            # Lessons move between modules of their own course only: progress stays valid.
            module_field.queryset = module_field.queryset.filter(course=self.instance.course_id)

    def clean_video_file(self):
        return upload_checked(
            self.cleaned_data.get("video_file"),
            extensions=VIDEO_EXTENSIONS,
            max_bytes=settings.VIDEO_MAX_BYTES,
        )

    def clean_attachment(self):
        return upload_checked(
            self.cleaned_data.get("attachment"),
            extensions=ATTACHMENT_EXTENSIONS,
            max_bytes=settings.ATTACHMENT_MAX_BYTES,
        )


class QuestionInlineFormSet(BaseInlineFormSet):
    """A live quiz keeps at least one question."""

    def clean(self):
        super().clean()
        lesson = self.instance
        if not lesson.pk or lesson.kind != LessonKind.QUIZ:
            return
        if lesson.course.status != CourseStatus.PUBLISHED:
            return
        kept = [
            form
            for form in self.forms
            if form.instance.pk and not (self.can_delete and self._should_delete_form(form))
        ]
        if not kept:
            raise forms.ValidationError(
                _("A quiz in a published course needs at least one question.")
            )


class ChoiceInlineFormSet(BaseInlineFormSet):
    """At least two choices and at least one correct one; single choice: exactly one."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        flags = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            if data.get("text"):
                flags.append(bool(data.get("is_correct")))
        problems = authoring.choice_problems(kind=self.instance.kind, correct=flags)
        if problems:
            raise forms.ValidationError(problems)


# Assignments -------------------------------------------------------------------------------


def _audience_choices():
    return [("", _("Every audience group")), *AudienceGroup.choices]


class AssignmentAddForm(forms.Form):
    """Assign several courses at once to one unit and audience group."""

    required_css_class = "required"

    courses = forms.ModelMultipleChoiceField(
        label=_("Courses"),
        queryset=Course.objects.none(),
        widget=FilteredSelectMultiple(_("courses"), is_stacked=False),
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=content_units(user=None))
    audience_group = forms.ChoiceField(
        label=_("Audience group"), choices=_audience_choices, required=False
    )
    due_date = forms.DateField(label=_("Due date"), widget=AdminDateWidget)

    def __init__(self, *args, user, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = (
            assignable_courses(user=user)
            .exclude(status=CourseStatus.ARCHIVED)
            .order_by("title")
            .only("id", "title")
        )
        unit = Assignment._meta.get_field("unit")
        scoped_unit_field(self.fields["unit"], unit, admin_site, user=user)

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        if due_date < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due_date

    def clean(self):
        cleaned = super().clean()
        courses, unit = cleaned.get("courses"), cleaned.get("unit")
        if courses and unit:
            taken = Assignment.objects.filter(
                course__in=courses, unit=unit, audience_group=cleaned.get("audience_group", "")
            ).select_related("course")
            if taken:
                raise forms.ValidationError(
                    gettext("Already assigned to this unit and audience group: %(courses)s.")
                    % {"courses": ", ".join(sorted(a.course.title for a in taken))},
                    code="duplicate",
                )
        return cleaned


class AssignmentChangeForm(forms.ModelForm):
    """Only the due date changes: a different course, unit or group is a new assignment."""

    class Meta:
        model = Assignment
        fields = ["due_date"]


# Transfer ----------------------------------------------------------------------------------


class CourseImportForm(forms.Form):
    required_css_class = "required"

    archive = forms.FileField(
        label=_("Course file (.zip)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    owner_unit = forms.ModelChoiceField(
        label=_("Owning unit"),
        queryset=content_units(user=None),
        help_text=_("The course is created as a draft owned by this unit."),
    )

    def __init__(self, *args, user, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["archive"].help_text = gettext(
            "A .zip exported from a “Bình dân học vụ số” site, at most %(limit)d MB."
        ) % {"limit": limits.MAX_ARCHIVE_BYTES // 2**20}
        owner_unit = Course._meta.get_field("owner_unit")
        scoped_unit_field(self.fields["owner_unit"], owner_unit, admin_site, user=user)

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if archive.size > limits.MAX_ARCHIVE_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(limit)d MB.")
                % {"limit": limits.MAX_ARCHIVE_BYTES // 2**20}
            )
        return archive
