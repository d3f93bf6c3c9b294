from django.http import Http404, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .models import Unit
from .selectors import commune_list, organisation_list


@require_safe
@cache_control(public=True, max_age=3600)
def province_units(request, code: str):
    """Communes and organisations of one province, for the sign-up and profile selects."""
    province = Unit.objects.filter(code=code, kind__in=["province", "city"]).first()
    if province is None:
        raise Http404
    return JsonResponse(
        {
            "communes": [{"id": u.pk, "name": u.name} for u in commune_list(province=province)],
            "organisations": [
                {"id": u.pk, "name": u.name} for u in organisation_list(province=province)
            ],
        }
    )
