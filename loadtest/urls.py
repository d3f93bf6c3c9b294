"""The site's addresses, and the minimal page the benchmarks compare the learner pages with."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/minimal/", views.minimal, name="bench_minimal"),
    path("", include("platform_app.urls")),
]
