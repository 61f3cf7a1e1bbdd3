"""The enterprise profile fields (PROFILE.md) as one declarative table.

Why a table: the registry loader, the generator, the rule validator, the engine and
the explanations all need to know each field's kind, unit and Chinese label. Keeping
that knowledge here, once, means no module branches on field names of its own.

>>> FIELDS["revenue"].kind, FIELDS["revenue"].label
('money', '营业收入')
>>> is_cert_field("certs.hitech"), cert_code("certs.hitech")
(True, 'hitech')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Field",
    "FIELDS",
    "INPUT_FIELDS",
    "DERIVED_FIELDS",
    "CERT_CODES",
    "CERT_LABELS",
    "ENUMS",
    "TAX_CREDIT_ORDER",
    "is_cert_field",
    "cert_code",
    "field_label",
    "is_known_field",
]


@dataclass(frozen=True)
class Field:
    """One profile field: canonical name, kind, Chinese label and unit for display.

    kind is one of: str, code_region, code_industry, date, money (int64 yuan),
    int (counts), ratio (float64 fraction), float (years), enum, bool.
    """

    name: str
    kind: str
    label: str
    unit: str = ""
    derived: bool = False


_TABLE = [
    Field("uscc", "str", "统一社会信用代码"),
    Field("name", "str", "企业名称"),
    Field("region", "code_region", "注册地行政区划"),
    Field("industry", "code_industry", "国民经济行业"),
    Field("established", "date", "成立日期"),
    Field("registered_capital", "money", "注册资本", "元"),
    Field("ownership", "enum", "所有制类型"),
    Field("size", "enum", "企业规模"),
    Field("above_scale", "bool", "规模以上企业"),
    Field("listed", "enum", "上市情况"),
    Field("employees", "int", "从业人员", "人"),
    Field("new_employees", "int", "新增就业", "人"),
    Field("revenue", "money", "营业收入", "元"),
    Field("revenue_prev", "money", "上年营业收入", "元"),
    Field("output_value", "money", "工业总产值", "元"),
    Field("output_value_prev", "money", "上年工业总产值", "元"),
    Field("rd_expense", "money", "研发费用", "元"),
    Field("rd_expense_prev", "money", "上年研发费用", "元"),
    Field("tax_paid", "money", "纳税总额", "元"),
    Field("tax_paid_prev", "money", "上年纳税总额", "元"),
    Field("export_value", "money", "进出口额", "元"),
    Field("investment", "money", "投资额", "元"),
    Field("total_assets", "money", "资产总额", "元"),
    Field("invention_patents", "int", "有效发明专利", "件"),
    Field("tax_credit", "enum", "纳税信用等级"),
    Field("dishonest", "bool", "失信记录"),
    Field("major_violation", "bool", "重大违法违规记录"),
    Field("business_scope", "str", "经营范围"),
    # Derived (PROFILE.md): computed by the engine, never required as input.
    Field("revenue_growth", "ratio", "营业收入增长率", "", True),
    Field("output_value_growth", "ratio", "产值增长率", "", True),
    Field("rd_expense_growth", "ratio", "研发费用增长率", "", True),
    Field("tax_paid_growth", "ratio", "纳税增长率", "", True),
    Field("rd_ratio", "ratio", "研发投入占营业收入比例", "", True),
    Field("age_years", "float", "成立年限", "年", True),
]

FIELDS: dict[str, Field] = {f.name: f for f in _TABLE}
INPUT_FIELDS: list[str] = [f.name for f in _TABLE if not f.derived]
DERIVED_FIELDS: list[str] = [f.name for f in _TABLE if f.derived]

#: derived field → (numerator, denominator); growth is num/den − 1, ratio is num/den
DERIVED_INPUTS: dict[str, tuple[str, str]] = {
    "revenue_growth": ("revenue", "revenue_prev"),
    "output_value_growth": ("output_value", "output_value_prev"),
    "rd_expense_growth": ("rd_expense", "rd_expense_prev"),
    "tax_paid_growth": ("tax_paid", "tax_paid_prev"),
    "rd_ratio": ("rd_expense", "revenue"),
}

CERT_LABELS: dict[str, str] = {
    "hitech": "高新技术企业",
    "tech_sme": "科技型中小企业",
    "innovative_sme": "创新型中小企业",
    "srdi": "专精特新中小企业",
    "srdi_giant": "专精特新“小巨人”企业",
    "single_champion": "制造业单项冠军企业",
    "tech_center_national": "国家企业技术中心",
    "tech_center_provincial": "省级企业技术中心",
    "tech_center_city": "市级企业技术中心",
    "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业",
    "tech_service_advanced": "技术先进型服务企业",
    "green_factory": "绿色工厂",
    "smart_factory": "智能工厂/数字化车间",
}
CERT_CODES: list[str] = list(CERT_LABELS)

ENUMS: dict[str, dict[str, str]] = {
    "ownership": {
        "state": "国有",
        "private": "民营",
        "foreign": "外资",
        "hmt": "港澳台资",
        "collective": "集体",
        "other": "其他",
    },
    "size": {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"},
    "listed": {
        "none": "未上市",
        "main_board": "主板",
        "star": "科创板",
        "chinext": "创业板",
        "bse": "北交所",
        "neeq": "新三板",
        "overseas": "境外上市",
    },
    "tax_credit": {"A": "A级", "B": "B级", "M": "M级", "C": "C级", "D": "D级"},
}

#: 纳税信用等级 A > B > M > C > D, as ranks for numeric comparison
TAX_CREDIT_ORDER: dict[str, int] = {"D": 0, "C": 1, "M": 2, "B": 3, "A": 4}


def is_cert_field(name: str) -> bool:
    """True for ``certs.<code>`` field names."""
    return name.startswith("certs.")


def cert_code(name: str) -> str:
    """``certs.hitech`` → ``hitech``."""
    return name[len("certs.") :]


def is_known_field(name: str) -> bool:
    """A field a condition may name: a profile field, a derived one, a known cert, or ``other``."""
    if name == "other" or name in FIELDS:
        return True
    return is_cert_field(name) and cert_code(name) in CERT_LABELS


def field_label(name: str) -> str:
    """Chinese label of a field for users.

    >>> field_label("certs.srdi")
    '专精特新中小企业'
    """
    if is_cert_field(name):
        return CERT_LABELS.get(cert_code(name), cert_code(name))
    if name == "other":
        return "其他条件"
    f = FIELDS.get(name)
    return f.label if f else name
