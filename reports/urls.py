from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_index, name="index"),
    path("units/<str:code>/", views.unit_page, name="unit"),
    path("units/<str:code>/export/", views.export_create, name="export_create"),
    path("exports/<int:pk>/", views.export_status, name="export"),
    path("exports/<int:pk>/download", views.export_download, name="export_download"),
]
