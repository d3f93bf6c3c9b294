from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup

from .models import ExportJob
from .selectors import DEFAULT_SORT, SORTS, ReportFilters


class ReportFilterForm(forms.Form):
    """The page's query parameters; the course choices come from `report_courses()`."""

    course = forms.TypedChoiceField(label=_("Course"), required=False, coerce=int, empty_value=None)
    group = forms.ChoiceField(
        label=_("Audience group"),
        required=False,
        choices=[("", _("All audience groups")), *AudienceGroup.choices],
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[(sort, sort) for sort in SORTS],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, courses: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", _("All courses")), *courses.items()]
        self.fields["course"].error_messages["invalid_choice"] = _(
            "This course does not exist or has no report."
        )
        self.fields["group"].error_messages["invalid_choice"] = _(
            "This audience group does not exist."
        )
        self.fields["sort"].error_messages["invalid_choice"] = _(
            "This order is not available. Use one of the column links."
        )

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            course_id=data.get("course"),
            group=data.get("group") or "",
            sort=data.get("sort") or DEFAULT_SORT,
        )

    def error_texts(self) -> list[str]:
        return [str(message) for errors in self.errors.values() for message in errors]


class ExportForm(ReportFilterForm):
    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.XLSX,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("course", "group"):
            self.fields[name].widget = forms.HiddenInput()
