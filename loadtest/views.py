from django.http import HttpResponse


def minimal(request):
    """The least a Django page does: the whole middleware stack, no query of its own, no
    template. The learner pages are measured against it."""
    return HttpResponse("ok", content_type="text/plain")
