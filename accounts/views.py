from allauth.account.views import SignupView as AllauthSignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import ProfileForm

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
