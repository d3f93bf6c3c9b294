from django.urls import path

from . import views

app_name = "units"
urlpatterns = [
    path("<str:code>/units.json", views.province_units, name="province_units"),
]
