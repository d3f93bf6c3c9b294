"""Vietnamese mobile numbers, stored in the national form 0XXXXXXXXX."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mobile prefixes in use since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x.
_MOBILE = re.compile(r"^0[35789]\d{8}$")


def phone_normalise(raw: str) -> str:
    """'+84 912.345.678' -> '0912345678'; raises ValidationError if not a Vietnamese mobile."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _MOBILE.match(digits):
        raise ValidationError(
            _("Enter a Vietnamese mobile number, for example 0912 345 678."), code="invalid_phone"
        )
    return digits
