from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from units.models import COMMUNE_KINDS, ORGANISATION_KINDS, PROVINCE_KINDS, Unit
from units.selectors import commune_list, organisation_list, province_list, unit_is_within

from .models import AudienceGroup, User
from .phone import phone_normalise

UNKNOWN_UNIT = _("This unit does not exist. Choose one from the list.")


class ProfileFieldsMixin(forms.Form):
    """Profile fields shared by sign-up and profile edit; communes are limited to one province."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    audience_group = forms.ChoiceField(
        label=_("Audience group"), choices=[("", "---------"), *AudienceGroup.choices]
    )
    province = forms.ModelChoiceField(
        label=_("Province / city"),
        queryset=Unit.objects.filter(kind__in=PROVINCE_KINDS),
        to_field_name="code",
        error_messages={"invalid_choice": UNKNOWN_UNIT},
    )
    home_unit = forms.ModelChoiceField(
        label=_("Commune / ward / special zone"),
        queryset=Unit.objects.filter(kind__in=COMMUNE_KINDS),
        error_messages={"invalid_choice": UNKNOWN_UNIT},
    )
    workplace_unit = forms.ModelChoiceField(
        label=_("Workplace (agency, enterprise or school)"),
        queryset=Unit.objects.filter(kind__in=ORGANISATION_KINDS),
        required=False,
        error_messages={"invalid_choice": UNKNOWN_UNIT},
        help_text=_("Optional."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        help_text=_("Optional, for example 0912 345 678."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def _setup_unit_choices(self) -> None:
        self.fields["province"].queryset = province_list()
        code = self.data.get(self.add_prefix("province")) if self.is_bound else None
        if not code:
            code = self.initial.get("province")
            code = getattr(code, "code", code)
        province = Unit.objects.filter(code=code, kind__in=PROVINCE_KINDS).first() if code else None
        # Only the chosen province's units are offered; others are still validated below.
        self.commune_choices = list(commune_list(province=province)) if province else []
        self.organisation_choices = list(organisation_list(province=province)) if province else []
        self.fields["home_unit"].widget.choices = [("", "---------")] + [
            (u.pk, u.name) for u in self.commune_choices
        ]
        self.fields["workplace_unit"].widget.choices = [("", "---------")] + [
            (u.pk, u.name) for u in self.organisation_choices
        ]
        self.fields["province"].widget.attrs["data-units-url"] = "/units/{code}/units.json"

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        return phone_normalise(raw) if raw else ""

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your full name."))
        return name

    def clean(self):
        cleaned = super().clean()
        province, home, workplace = (
            cleaned.get("province"),
            cleaned.get("home_unit"),
            cleaned.get("workplace_unit"),
        )
        if province and home and home.parent_id != province.pk:
            self.add_error("home_unit", _("This commune is not in the chosen province."))
        if province and workplace and not unit_is_within(unit=workplace, root=province):
            self.add_error("workplace_unit", _("This workplace is not in the chosen province."))
        return cleaned


class SignupForm(ProfileFieldsMixin, AllauthSignupForm):
    field_order = [
        "full_name",
        "email",
        "audience_group",
        "province",
        "home_unit",
        "workplace_unit",
        "phone",
        "password1",
        "password2",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_unit_choices()
        self.order_fields(self.field_order)


class ProfileForm(ProfileFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "audience_group", "home_unit", "workplace_unit", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.home_unit_id and "province" not in self.initial:
            self.initial["province"] = self.instance.home_unit.parent.code
        self._setup_unit_choices()
        self.order_fields(
            ["full_name", "audience_group", "province", "home_unit", "workplace_unit", "phone"]
        )


class AccountEraseForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password
