from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction


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
