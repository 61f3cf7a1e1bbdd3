"""Build tests/data/registry_broken_{utf8,gbk}.csv: 55 rows as an office would export them, 15 of them bad.

Run from the repository root: ``PYTHONPATH=. python3 tests/data/make_broken_registry.py``. The 40 good rows come
from the synthetic generator (seed 55); each bad row breaks one thing, listed in BAD with the reason
the loader must give. Row numbers count the header as row 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from policymatch.registry import generate_registry

HERE = Path(__file__).resolve().parent
HEADER = [
    "统一社会信用代码", "企业名称", "行政区划代码", "行业代码", "成立日期", "注册资本（万元）", "营业收入（万元）",
    "上年营业收入（万元）", "资产总额（万元）", "从业人员", "纳税信用等级", "是否失信", "高新技术企业认定日期", "经营范围",
]  # fmt: skip

# (position among the 55 data rows, header, bad value, words the reason must contain)
BAD = [
    (2, "统一社会信用代码", "CHECK", "校验位错误"),
    (5, "统一社会信用代码", "SHORT", "应为18位（实为17位）"),
    (8, "营业收入（万元）", "约500", "营业收入不是数字"),
    (11, "资产总额（万元）", "-100", "资产总额不能为负数"),
    (14, "从业人员", "十五", "从业人员不是数字"),
    (17, "从业人员", "-3", "从业人员不能为负数"),
    (20, "行政区划代码", "149999", "行政区划代码未知"),
    (23, "行业代码", "9999", "行业代码未知"),
    (26, "成立日期", "2021-02-30", "成立日期不是有效日期"),
    (29, "成立日期", "2099-01-01", "成立日期不可能"),
    (32, "纳税信用等级", "E", "纳税信用等级未知"),
    (35, "是否失信", "不详", "失信记录无法识别"),
    (38, "统一社会信用代码", "", "缺少统一社会信用代码"),
    (41, "高新技术企业认定日期", "待定", "高新技术企业取值无法识别"),
    # the duplicate: row 44 repeats the USCC of row 50; the later row (50) wins
    (44, "统一社会信用代码", "DUP", "已被第52行取代"),
]


def _wan(v) -> str:
    return "" if v is None else f"{v / 10_000:.4f}".rstrip("0").rstrip(".")


def rows() -> list[list[str]]:
    df = generate_registry(100, seed=55)
    df = df[df["revenue"].notna() & df["total_assets"].notna() & df["employees"].notna()].reset_index(drop=True)
    out = []
    for i in range(55):
        r = df.iloc[i]
        val = {k: (None if pd.isna(r[k]) else r[k]) for k in df.columns}
        out.append([
            val["uscc"], val["name"], val["region"], val["industry"], val["established"] or "",
            _wan(val["registered_capital"]), _wan(val["revenue"]), _wan(val["revenue_prev"]), _wan(val["total_assets"]),
            str(val["employees"]), val["tax_credit"] or "", "" if val["dishonest"] is None else ("是" if val["dishonest"] else "否"),
            val["certs.hitech"] or "", val["business_scope"],
        ])  # fmt: skip
    for pos, header, value, _ in BAD:
        row = out[pos]
        col = HEADER.index(header)
        if value == "CHECK":
            code = row[0]
            row[0] = code[:17] + ("0" if code[17] != "0" else "1")
        elif value == "SHORT":
            row[0] = row[0][:17]
        elif value == "DUP":
            row[0] = out[50][0]
        else:
            row[col] = value
    return out


def main() -> None:
    data = rows()
    for name, enc in (("registry_broken_utf8.csv", "utf-8"), ("registry_broken_gbk.csv", "gbk")):
        with (HERE / name).open("w", encoding=enc, newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(data)


if __name__ == "__main__":
    main()
