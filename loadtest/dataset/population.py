"""Who the generated learners are: audience groups in Hải Phòng's proportions, where they are
counted, and Vietnamese names drawn by their frequency."""

import random
from itertools import accumulate

from accounts.models import AudienceGroup
from units.models import UnitKind

LOAD_EMAIL_DOMAIN = "load.invalid"

GROUP_WEIGHTS = {
    AudienceGroup.CITIZEN: 45,
    AudienceGroup.OFFICIAL: 25,
    AudienceGroup.WORKER: 15,
    AudienceGroup.STUDENT: 15,
}
# Share of each group counted at a workplace (agency, enterprise, school) rather than at home.
WORKPLACE_SHARE = {
    AudienceGroup.OFFICIAL: (UnitKind.AGENCY, 0.85),
    AudienceGroup.WORKER: (UnitKind.ENTERPRISE, 0.90),
    AudienceGroup.STUDENT: (UnitKind.SCHOOL, 0.90),
}

FAMILY_NAMES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Phan": 4.5, "Vũ": 4,
    "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Đinh": 1, "Đào": 1,
    "Lương": 0.6, "Mai": 0.6, "Trịnh": 0.6, "Cao": 0.5, "Lý": 0.5, "Tô": 0.4, "Lưu": 0.4,
    "Tạ": 0.3, "Võ": 0.3, "Phùng": 0.3,
}  # fmt: skip
MIDDLE_NAMES = {
    "male": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Ngọc",
             "Công", "Mạnh", "Tuấn", "Hoàng", "Trung", "Gia", "Duy", "Bá", "Đình", "Tiến"],
    "female": ["Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Phương", "Minh", "Hồng",
               "Thùy", "Bảo", "Khánh", "Mai", "Kim", "Hải", "Diệu", "Thảo", "Lan", "Quỳnh"],
}  # fmt: skip
GIVEN_NAMES = {
    "male": ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hùng", "Huy",
             "Khánh", "Khoa", "Kiên", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
             "Quang", "Sơn", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng",
             "Việt", "Vinh", "Hưng", "Lâm", "Tài", "Hậu", "Trọng", "Duy", "Hoàng", "Kiệt"],
    "female": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
               "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
               "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Uyên", "Vân", "Yến",
               "Hồng", "Hiền", "Liên", "Nhàn", "Trâm", "Vy", "Hoài", "Duyên", "Thư", "Xuân"],
}  # fmt: skip


class Picker:
    """Weighted choice by bisecting cumulative weights (random.choices re-adds them per call)."""

    def __init__(self, rng: random.Random, items: list, weights: list[float]):
        self.rng, self.items = rng, items
        self.cum = list(accumulate(weights))

    def __call__(self):
        return self.rng.choices(self.items, cum_weights=self.cum)[0]


def full_name(rng: random.Random, family: Picker) -> str:
    sex = "female" if rng.random() < 0.52 else "male"
    parts = [family(), rng.choice(MIDDLE_NAMES[sex])]
    if rng.random() < 0.15:  # four syllables: "Nguyễn Thị Hồng Nhung"
        parts[1] = "Thị" if sex == "female" else "Văn"
        parts.append(rng.choice([m for m in MIDDLE_NAMES[sex] if m not in ("Thị", "Văn")]))
    given = rng.choice(GIVEN_NAMES[sex])
    while given == parts[-1]:
        given = rng.choice(GIVEN_NAMES[sex])
    parts.append(given)
    return " ".join(parts)
