"""Reading an official's report page: its address and the text of its figures."""

import re

from django.urls import reverse


def page(code: str, query: str = "") -> str:
    return reverse("reports:unit", args=[code]) + query


def cells(html: str) -> list[str]:
    """The text of every table cell and summary value, tags stripped."""
    found = re.findall(r"<(?:td|th)[^>]*>(.*?)</(?:td|th)>", html, re.S)
    found += re.findall(r'<span class="stat-value">(.*?)</span>', html, re.S)
    return [re.sub(r"<[^>]+>", " ", text).split()[0] if text.strip() else "" for text in found]


def child_codes(response) -> list[str]:
    return [row.code for row in response.context["report"].children]
