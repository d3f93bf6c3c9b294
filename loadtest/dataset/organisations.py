"""The organisations the generated learners work at: agencies under the city, enterprises and
schools under its communes, with codes such as "31-AG-001" the next load finds again."""

import random
from collections import Counter

from django.db import transaction

from units.models import COMMUNE_KINDS, Unit, UnitKind

CITY_CODE = "31"
ORGANISATION_PREFIXES = {UnitKind.AGENCY: "AG", UnitKind.ENTERPRISE: "EN", UnitKind.SCHOOL: "SC"}
ORGANISATION_COUNTS = {UnitKind.AGENCY: 40, UnitKind.ENTERPRISE: 60, UnitKind.SCHOOL: 120}

AGENCY_NAMES = [
    "Văn phòng Ủy ban nhân dân thành phố", "Văn phòng Đoàn ĐBQH và HĐND thành phố",
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Ngoại vụ",
    "Thanh tra thành phố", "Ban Quản lý Khu kinh tế Hải Phòng", "Công an thành phố",
    "Bộ Chỉ huy Quân sự thành phố", "Văn phòng Thành ủy", "Ban Tổ chức Thành ủy",
    "Ban Tuyên giáo và Dân vận Thành ủy", "Ủy ban Kiểm tra Thành ủy", "Ban Nội chính Thành ủy",
    "Ủy ban MTTQ Việt Nam thành phố", "Thành đoàn Hải Phòng",
    "Hội Liên hiệp Phụ nữ thành phố", "Hội Nông dân thành phố",
    "Liên đoàn Lao động thành phố", "Hội Cựu chiến binh thành phố",
    "Thuế thành phố Hải Phòng", "Kho bạc Nhà nước khu vực III",
    "Bảo hiểm xã hội thành phố", "Thống kê thành phố Hải Phòng",
    "Đài Phát thanh và Truyền hình Hải Phòng", "Báo Hải Phòng",
    "Trung tâm Phục vụ hành chính công thành phố", "Trường Chính trị Tô Hiệu",
    "Bệnh viện Hữu nghị Việt Tiệp", "Cảng vụ Hàng hải Hải Phòng",
    "Trung tâm Chuyển đổi số thành phố", "Quỹ Đầu tư phát triển thành phố",
]  # fmt: skip
ENTERPRISE_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"]
ENTERPRISE_TRADES = [
    "Cảng", "Đóng tàu", "Thép", "Vận tải biển", "Logistics", "Dệt may", "Điện tử", "Xi măng",
    "Thủy sản", "Nhựa", "Giày da", "Cơ khí", "Thương mại", "Xây dựng", "Bao bì", "Sơn",
    "Kho vận", "Thực phẩm",
]  # fmt: skip
ENTERPRISE_BRANDS = [
    "Hải An", "Bạch Đằng", "Đông Hải", "Tân Cảng", "Minh Phát", "Hoàng Long", "Thành Đạt",
    "Việt Nhật", "An Phú", "Sao Đỏ", "Lạch Tray", "Đình Vũ", "Tràng Kênh", "Nam Triệu",
    "Cát Bi", "Đồ Sơn", "Thủy Nguyên", "Chí Linh", "Kinh Môn", "Thanh Hà", "Nam Sách",
    "Hồng Hà", "Phương Đông", "Duyên Hải",
]  # fmt: skip
SCHOOL_LEVELS = {"Tiểu học": 40, "THCS": 33, "THPT": 20, "Trung cấp nghề": 4, "Cao đẳng": 3}


def communes_of(city: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(path__startswith=city.path, kind__in=COMMUNE_KINDS).order_by("code")
    )


def short_name(commune: Unit) -> str:
    for prefix in ("Phường ", "Xã ", "Đặc khu "):
        if commune.name.startswith(prefix):
            return commune.name[len(prefix) :]
    return commune.name


@transaction.atomic
def organisations_create(rng: random.Random, city: Unit, communes: list[Unit]) -> list[Unit]:
    """Agencies under the city, enterprises and schools under communes: paths as unit_create
    derives them."""
    rows: list[tuple[str, str, Unit]] = []
    agencies = AGENCY_NAMES[: ORGANISATION_COUNTS[UnitKind.AGENCY]]
    rows += [(UnitKind.AGENCY, name, city) for name in agencies]
    pairs = rng.sample(
        [(t, b) for t in ENTERPRISE_TRADES for b in ENTERPRISE_BRANDS],
        ORGANISATION_COUNTS[UnitKind.ENTERPRISE],
    )
    for trade, brand in pairs:
        form = rng.choice(ENTERPRISE_FORMS)
        rows.append((UnitKind.ENTERPRISE, f"{form} {trade} {brand}", rng.choice(communes)))
    levels, level_weights = list(SCHOOL_LEVELS), list(SCHOOL_LEVELS.values())
    seen: Counter = Counter()
    for _ in range(ORGANISATION_COUNTS[UnitKind.SCHOOL]):
        commune = rng.choice(communes)
        name = f"Trường {rng.choices(levels, level_weights)[0]} {short_name(commune)}"
        seen[name] += 1
        rows.append(
            (UnitKind.SCHOOL, name if seen[name] == 1 else f"{name} số {seen[name]}", commune)
        )
    numbers: Counter = Counter()
    units = []
    for kind, name, parent in rows:
        numbers[kind] += 1
        code = f"{CITY_CODE}-{ORGANISATION_PREFIXES[kind]}-{numbers[kind]:03d}"
        units.append(
            Unit(
                code=code,
                name=name,
                kind=kind,
                parent=parent,
                path=f"{parent.path}{code}/",
                depth=parent.depth + 1,
            )
        )
    for unit in units:
        unit.full_clean()
    return Unit.objects.bulk_create(units)
