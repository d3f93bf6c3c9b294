from urllib.parse import urlparse

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from ..sanitize import html_sanitize

register = template.Library()


@register.filter
def sanitized(html: str) -> str:
    """Lesson HTML is cleaned when saved and again here, when shown."""
    return mark_safe(html_sanitize(html))  # noqa: S308 - cleaned by nh3 on the line itself


@register.filter
def allowed_embed(url: str) -> str:
    """Only embeds from allow-listed video hosts over HTTPS are ever put in an iframe."""
    parsed = urlparse(url or "")
    if parsed.scheme == "https" and parsed.hostname in settings.VIDEO_EMBED_HOSTS:
        return url
    return ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key, ()) if mapping else ()
