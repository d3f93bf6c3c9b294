import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e]

FULL_NAME = "Nguyễn Thị Hồng Nhung"
EMAIL = "hong.nhung@example.com"
PASSWORD = "Hoc-tap-so-2025!"


def test_sign_up_confirm_log_in_switch_language_log_out(page, units_tx):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("link", name="Đăng ký", exact=True).first.click()

    page.fill("input[name=full_name]", FULL_NAME)
    page.fill("input[name=email]", EMAIL)
    page.select_option("select[name=audience_group]", "citizen")
    page.select_option("select[name=province]", "31")
    # JavaScript fills the communes of Hải Phòng without a round trip.
    expect(
        page.locator("select[name=home_unit] option", has_text="Phường Hồng Bàng")
    ).to_have_count(1, timeout=15_000)  # a busy machine: the page's own timeout, not 5 s
    page.select_option("select[name=home_unit]", label="Phường Hồng Bàng")
    page.fill("input[name=phone]", "+84 912 345 678")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "signup-filled")
    page.get_by_role("button", name="Đăng ký").click()

    expect(page.get_by_role("heading", name="Xác minh địa chỉ email của bạn")).to_be_visible()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Xác nhận").click()

    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    expect(page.get_by_text(f"Xin chào, {FULL_NAME}!")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kỹ năng số cho mọi người dân")
    screenshot(page, "home-logged-in")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text(f"Hello, {FULL_NAME}!")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_text(FULL_NAME)).to_have_count(0)
