"""Steps several end-to-end tests share, done the way a person does them."""

import re

import pyotp
from django.core import mail
from playwright.sync_api import Page, expect

from tests.accounts.factories import totp_secret_for


def sign_up_and_log_in(page: Page, *, full_name: str, email: str, password: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=full_name]", full_name)
    page.fill("input[name=email]", email)
    page.select_option("select[name=audience_group]", "citizen")
    page.select_option("select[name=province]", "31")
    expect(
        page.locator("select[name=home_unit] option", has_text="Phường Hồng Bàng")
    ).to_have_count(1)
    page.select_option("select[name=home_unit]", label="Phường Hồng Bàng")
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_role("heading", name="Xác minh địa chỉ email của bạn")).to_be_visible()
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Xác nhận").click()
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_text(f"Xin chào, {full_name}!")).to_be_visible()


def log_in(page: Page, *, email: str, password: str) -> None:
    """Password, then the authenticator app's code when the account has one (see
    tests.accounts.factories.totp_enable)."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    code = page.locator("input[name=code]")
    logged_in = page.locator("form[action$='/logout/']")
    expect(code.or_(logged_in).first).to_be_attached()
    if code.count():
        code.fill(pyotp.TOTP(totp_secret_for(email)).now())
        page.get_by_role("button", name="Đăng nhập").click()
    expect(logged_in).to_have_count(1)
