from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    path("profile/", views.profile_edit, name="accounts_profile"),
    path("profile/delete/", views.account_erase, name="accounts_erase"),
]
