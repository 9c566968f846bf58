"""Bilingual wording of the maps and tables: numbers, dates, titles, source lines.

Persian numbers use Persian digits, ``٬`` for thousands and ``٫`` for decimals
when asked; English ones stay Latin (:func:`siting.text.number`, re-exported here).
"""

from __future__ import annotations

import datetime as dt

from siting.dates import jalali_long, to_jalali
from siting.text import normalize_digits, number, percent, to_persian_digits

TITLE_FA = "برنامه صدور مجوز دفاتر پیشخوان خدمات دولت"
TITLE_EN = "Licensing plan for government service counter offices"
LEVEL_FA = {"county": "شهرستان", "province": "استان"}
LEVEL_EN = {"county": "county", "province": "province"}
# Persian words for the coded values planners read in tables, maps and the dashboard
DECISION_FA = {"granted": "پذیرفته", "waitlisted": "در نوبت", "refused": "رد شده"}
SETTING_FA = {"urban": "شهری", "rural": "روستایی"}
STATUS_FA = {"active": "فعال", "suspended": "تعلیق", "unopened": "افتتاح‌نشده", "closed": "بسته"}
TIER_FA = {"deprived": "محروم", "middle": "میانی", "privileged": "برخوردار"}


def digits(text: str, persian: bool) -> str:
    """Write a text's digits in Persian or Latin."""
    return to_persian_digits(text) if persian else normalize_digits(text)


GREGORIAN_MONTHS_FA = ("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر", "دسامبر")


def date_line_fa(date: dt.date, persian_digits: bool = True) -> str:
    """``تاریخ: شنبه ۰۴ فروردین ۱۴۰۳ (۲۳ مارس ۲۰۲۴)``: Jalali and Gregorian.

    The Gregorian date is written with a Persian month name: an ISO date such as
    ``2024-03-23`` inside right-to-left text is laid out as ``23-03-2024``.
    """
    gregorian = f"{date.day} {GREGORIAN_MONTHS_FA[date.month - 1]} {date.year}"
    return f"تاریخ: {digits(jalali_long(date), persian_digits)} ({digits(gregorian, persian_digits)})"


def date_line_en(date: dt.date) -> str:
    """``Date: 1403/01/04 (2024-03-23)``: Jalali and Gregorian, Latin digits."""
    return f"Date: {to_jalali(date)} AP ({date:%d %B %Y})"


def source_lines(summary: dict, persian_digits: bool = True) -> tuple[str, str]:
    """The source line in Persian and in English, saying where the registers are synthetic.

    The census is named when the run's population is the SCI 1395 census; otherwise the
    run's own population source is (e.g. GeoNames figures of the embedded default data).
    """
    data = summary.get("data", {})
    synthetic = bool(data.get("synthetic_registers", False))
    population = str(data.get("population_source") or "SCI 1395 census")
    if "1395" in population:
        population_fa = digits("سرشماری عمومی نفوس و مسکن ۱۳۹۵ (مرکز آمار ایران)", persian_digits)
        population_en = "SCI 1395 (2016) census"
    else:
        population_fa = f"جمعیت: {population}"
        population_en = f"population: {population}"
    register_fa = "دفاتر و درخواست‌ها: ثبت مصنوعی (ساختگی، نه واقعی)" if synthetic else "دفاتر و درخواست‌ها: ثبت دفاتر برنامه‌ریز"
    register_en = "offices and applications: SYNTHETIC register (not real)" if synthetic else "offices and applications: planner's register"
    fa = f"منابع: {population_fa}؛ سکونتگاه‌ها GeoNames (CC BY 4.0)؛ {register_fa}"
    en = f"Sources: {population_en}; settlements GeoNames (CC BY 4.0); {register_en}"
    return fa, en


def scenario_lines(summary: dict, persian_digits: bool = True) -> tuple[str, str]:
    """``سناریو: …`` and ``Scenario: …``."""
    scenario = summary.get("scenario", {}) or {}
    name = str(scenario.get("name", ""))
    name_fa = str(scenario.get("name_fa") or name)
    return f"سناریو: {digits(name_fa, persian_digits)}", f"Scenario: {name}"
