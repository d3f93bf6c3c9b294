from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.db import transaction

from .selectors import second_factor_required


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        user.full_name = data["full_name"]
        user.audience_group = data["audience_group"]
        user.home_unit = data["home_unit"]
        user.workplace_unit = data.get("workplace_unit")
        user.phone = data.get("phone", "")
        if commit:
            with transaction.atomic():
                user.save()
        return user


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Those who must log in with a second factor cannot turn their app off."""
        if authenticator.type == Authenticator.Type.TOTP:
            return not second_factor_required(user=authenticator.user)
        return True
