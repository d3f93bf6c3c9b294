from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views

from . import views

admin.site.site_header = _("Bình dân học vụ số — administration")
admin.site.site_title = _("Bình dân học vụ số")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("media/<path:path>", views.media_file, name="media"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("units/", include("units.urls")),
    path("", include("courses.urls")),
    path("reports/", include("reports.urls")),
    path("admin/login/", account_views.admin_login, name="admin_login_redirect"),
    path("admin/password_change/", account_views.admin_password_change),
    path("admin/", admin.site.urls),
]
