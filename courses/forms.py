from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup

from .models import CompetencyArea, Level

ANY = [("", _("All"))]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("for example: ky nang so")}
        ),
    )
    audience = forms.ChoiceField(
        label=_("Audience group"), required=False, choices=ANY + AudienceGroup.choices
    )
    area = forms.ChoiceField(
        label=_("Competency area"), required=False, choices=ANY + CompetencyArea.choices
    )
    level = forms.ChoiceField(label=_("Level"), required=False, choices=ANY + Level.choices)


class QuizAnswersForm(forms.Form):
    """Built from the quiz's questions; choice ids are checked again by the service."""

    attempt = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            choices = [
                (c.pk, c.text)
                for c in getattr(question, "shuffled_choices", question.choices.all())
            ]
            if question.kind == "multiple":
                field = forms.TypedMultipleChoiceField(
                    coerce=int,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
            else:
                field = forms.TypedChoiceField(
                    coerce=int, choices=choices, widget=forms.RadioSelect, required=False
                )
            field.label = question.text
            field.question = question
            field.error_messages["invalid_choice"] = _(
                "This answer does not belong to the question. Reload the page and try again."
            )
            self.fields[f"q_{question.pk}"] = field

    def answers(self) -> dict[int, set[int]]:
        result: dict[int, set[int]] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q_{question.pk}")
            if value in (None, "", []):
                continue
            result[question.pk] = set(value) if isinstance(value, list) else {value}
        return result

    def clean(self):
        cleaned = super().clean()
        unanswered = [q for q in self.questions if cleaned.get(f"q_{q.pk}") in (None, "", [])]
        if unanswered and not self.errors:
            raise forms.ValidationError(_("Answer every question before submitting."))
        return cleaned
