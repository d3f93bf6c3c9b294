"""Officials, content administrators and superusers reach the staff areas with a second factor."""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import second_factor_required
from .services import SECOND_FACTOR_NEXT_SESSION_KEY, SECOND_FACTOR_SESSION_KEY


def second_factor_proven(request) -> bool:
    if request.session.get(SECOND_FACTOR_SESSION_KEY):
        return True
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = tuple(settings.SECOND_FACTOR_PATHS)

    def __call__(self, request):
        if (
            request.path.startswith(self.paths)
            and request.user.is_authenticated
            and not second_factor_proven(request)
            and second_factor_required(user=request.user)
        ):
            return self._second_factor_redirect(request)
        return self.get_response(request)

    def _second_factor_redirect(self, request):
        query = urlencode({"next": request.get_full_path()})
        has_totp = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        if has_totp:  # set up elsewhere, not yet proven in this session
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        request.session[SECOND_FACTOR_NEXT_SESSION_KEY] = request.get_full_path()
        messages.info(
            request,
            _(
                "Your role gives access to personal data: set up two-step verification "
                "with an authenticator app before you continue."
            ),
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
