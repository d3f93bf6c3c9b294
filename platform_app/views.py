from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from courses.selectors import featured_courses, learner_dashboard

from . import health


@require_safe
def home(request):
    in_progress = []
    if request.user.is_authenticated:
        in_progress = learner_dashboard(user=request.user).in_progress[:3]
    return render(
        request,
        "platform_app/home.html",
        {"featured": featured_courses(), "in_progress": in_progress},
    )


@never_cache
@require_safe
def healthz(request):
    database = health.database_ok()
    broker = health.broker_ok()
    status = 200 if database and broker else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            "database": "ok" if database else "unavailable",
            "broker": "ok" if broker else "unavailable",
        },
        status=status,
    )
