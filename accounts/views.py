from urllib.parse import urlencode

from allauth.account.views import SignupView as AllauthSignupView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .forms import AccountEraseForm, ProfileForm
from .services import user_erase

REFRESH_UNITS = "_refresh_units"


class SignupView(AllauthSignupView):
    """Without JavaScript, the province's communes arrive by posting the form back unvalidated."""

    def post(self, request, *args, **kwargs):
        if REFRESH_UNITS in request.POST:
            data = request.POST.copy()
            for secret in ("password1", "password2", "csrfmiddlewaretoken"):
                data.pop(secret, None)
            form = self.get_form_class()(initial=data.dict())
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400  # refused input says so, as every form of the site does
        return response


@login_required
def profile_edit(request):
    if request.method == "POST":
        if REFRESH_UNITS in request.POST:
            form = ProfileForm(instance=request.user, initial=request.POST.dict())
        else:
            form = ProfileForm(request.POST, instance=request.user)
            if form.is_valid():
                form.save()
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts_profile")
        status = 200 if REFRESH_UNITS in request.POST else 400
        return render(request, "accounts/profile.html", {"form": form}, status=status)
    return render(request, "accounts/profile.html", {"form": ProfileForm(instance=request.user)})


@never_cache
def admin_login(request):
    """The admin's own log-in is replaced by the site's: one set of limits, one second factor."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        # Sending a signed-in learner back to the log-in page would loop: say why instead.
        return render(request, "403.html", status=403)
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@never_cache
def admin_password_change(request):
    return redirect("account_change_password")


@login_required
def account_erase(request):
    """The right to erasure, asked by the person: confirmed with their password."""
    form = AccountEraseForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user_erase(user=request.user, actor=request.user, request=request)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("home")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/erase_confirm.html", {"form": form}, status=status)
