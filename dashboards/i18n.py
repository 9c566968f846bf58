"""English / Persian strings of the dashboard, digits and dates.

Persian mode writes digits in Persian (``۱٬۲۳۴``) and dates in the Jalali calendar; the page is laid
out right to left by :data:`RTL_CSS`. Nothing here holds user text.
"""

from __future__ import annotations

import datetime as dt

from siting.dates import jalali_long
from siting.report.labels import number, percent

LANGS = ("en", "fa")

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Amayesh: licensing plan for counter offices", "آمایش: برنامه صدور مجوز دفاتر پیشخوان"),
    "language": ("Language", "زبان"),
    "page": ("Page", "صفحه"),
    "page_data": ("Data", "داده‌ها"),
    "page_weights": ("Indicators and weights", "شاخص‌ها و وزن‌ها"),
    "page_plan": ("Plan", "برنامه"),
    "page_why": ("Why this county", "چرا این شهرستان"),
    "page_robust": ("Robustness", "پایداری"),
    "page_sites": ("Sites", "مکان‌ها"),
    "page_compare": ("Compare", "مقایسه"),
    "page_export": ("Export", "خروجی"),
    "data_source": ("Data source", "منبع داده"),
    "src_embedded": ("Embedded default (GeoNames)", "پیش‌فرض درونی (GeoNames)"),
    "src_official": ("Official folder (1395 census)", "پوشه رسمی (سرشماری ۱۳۹۵)"),
    "src_upload": ("My own files (data contract)", "فایل‌های خودم (قرارداد داده)"),
    "official_folder": ("Official folder", "پوشه رسمی"),
    "load": ("Load", "بارگذاری"),
    "loaded": ("Loaded", "بارگذاری شد"),
    "upload_files": ("Files (provinces, counties, settlements, offices, applications, industrial_parks): CSV, GeoPackage, "
                     "GeoJSON, FlatGeobuf, GeoParquet or a zipped Shapefile",
                     "فایل‌ها (استان‌ها، شهرستان‌ها، سکونتگاه‌ها، دفاتر، درخواست‌ها، شهرک‌های صنعتی): CSV، ژئوپکیج، "
                     "GeoJSON، FlatGeobuf، GeoParquet یا شیپ‌فایل فشرده (zip)"),
    "upload_layer": ("Layer of", "لایه"),
    "validate_upload": ("Validate and load the uploaded files", "اعتبارسنجی و بارگذاری فایل‌ها"),
    "upload_refused": ("The upload was refused; the loaded data is unchanged.", "فایل‌ها پذیرفته نشدند؛ داده‌های بارگذاری‌شده تغییری نکرد."),
    "validation": ("Validation report", "گزارش اعتبارسنجی"),
    "valid": ("Valid", "معتبر"),
    "problems": ("Problems", "مشکلات"),
    "synthetic_registers": ("SYNTHETIC registers (generated): not real offices or applicants",
                            "ثبت‌های ساختگی (تولیدشده): دفاتر و متقاضیان واقعی نیستند"),
    "registers": ("Registers", "ثبت‌ها"),
    "units": ("Units", "واحدها"),
    "population": ("Population", "جمعیت"),
    "settlements": ("Settlements", "سکونتگاه‌ها"),
    "offices": ("Offices", "دفاتر"),
    "applications": ("Applications", "درخواست‌ها"),
    "parks": ("Industrial parks", "شهرک‌های صنعتی"),
    "synthetic": ("SYNTHETIC", "ساختگی"),
    "real": ("planner's file", "فایل برنامه‌ریز"),
    "none": ("none", "ندارد"),
    "weights_method": ("Weighting method", "روش وزن‌دهی"),
    "m_direct": ("Direct weights", "وزن مستقیم"),
    "m_rank_order_centroid": ("Ranks (rank-order centroid)", "رتبه (مرکز ثقل رتبه)"),
    "m_rank_sum": ("Ranks (rank sum)", "رتبه (مجموع رتبه)"),
    "m_ahp": ("AHP pairwise comparisons", "مقایسه زوجی AHP"),
    "m_group_ahp": ("Group AHP (several stakeholders)", "AHP گروهی (چند ذی‌نفع)"),
    "indicator": ("Indicator", "شاخص"),
    "weight": ("Weight", "وزن"),
    "rank": ("Rank", "رتبه"),
    "cr": ("Consistency ratio", "نسبت سازگاری"),
    "cr_ok": ("consistent (CR ≤ 0.1)", "سازگار (CR ≤ ۰٫۱)"),
    "cr_bad": ("inconsistent (CR > 0.1): revise these judgements first", "ناسازگار (CR > ۰٫۱): ابتدا این قضاوت‌ها را بازبینی کنید"),
    "stakeholder": ("Stakeholder", "ذی‌نفع"),
    "stakeholders": ("Stakeholders", "ذی‌نفعان"),
    "add_stakeholder": ("Add stakeholder", "افزودن ذی‌نفع"),
    "aggregate": ("Aggregate (geometric mean)", "تجمیع (میانگین هندسی)"),
    "score_map": ("Score map", "نقشه امتیاز"),
    "scores": ("Scores", "امتیازها"),
    "apply_weights": ("Use these weights", "اعمال این وزن‌ها"),
    "budget": ("National licences", "مجوزهای ملی"),
    "budget_mode": ("Budget mode", "حالت بودجه"),
    "slack": ("Saturation slack (cap)", "حاشیه اشباع (سقف)"),
    "caps_on": ("Saturation caps", "سقف اشباع"),
    "catch_u": ("Minimum urban catchment (residents per office)", "حداقل جمعیت شهری هر دفتر"),
    "catch_r": ("Minimum rural catchment (residents per office)", "حداقل جمعیت روستایی هر دفتر"),
    "viability_rule": ("Viability rule", "قاعده پایداری دفتر"),
    "viability_residents": ("Residents per office", "جمعیت به ازای هر دفتر"),
    "viability_visits": ("Expected visits after the other networks' share", "مراجعه مورد انتظار پس از سهم شبکه‌های دیگر"),
    "visits_per_resident": ("Visits per resident a year", "مراجعه سالانه هر نفر"),
    "min_visits_u": ("Minimum visits a year, urban office", "حداقل مراجعه سالانه دفتر شهری"),
    "min_visits_r": ("Minimum visits a year, rural office", "حداقل مراجعه سالانه دفتر روستایی"),
    "ceiling": ("Province ceiling (share of budget)", "سقف استانی (سهم از بودجه)"),
    "rural_share": ("Minimum rural share", "حداقل سهم روستایی"),
    "parks_rule": ("Every unit with an industrial park gets an office", "هر واحد دارای شهرک صنعتی یک دفتر داشته باشد"),
    "floor_mode": ("Province floors", "کف استانی"),
    "floor_none": ("none", "ندارد"),
    "floor_gap": ("share of the national gap (deprived provinces)", "سهم از کمبود ملی (استان‌های محروم)"),
    "floor_explicit": ("explicit licences by province", "تعداد صریح به تفکیک استان"),
    "floor_fraction": ("Floor fraction", "کسر کف"),
    "floor_table": ("Floors by province code", "کف به تفکیک کد استان"),
    "locks": ("Locks (committee decisions)", "قفل‌ها (تصمیم‌های کارگروه)"),
    "loan": ("Loan budget (rials, 0 = none)", "بودجه وام (ریال، ۰ = ندارد)"),
    "need_u": ("Urban residents per office (target)", "جمعیت شهری به ازای هر دفتر (هدف)"),
    "need_r": ("Rural residents per office (target)", "جمعیت روستایی به ازای هر دفتر (هدف)"),
    "parameters": ("Scenario parameters", "پارامترهای سناریو"),
    "run_plan": ("Run plan", "اجرای برنامه"),
    "auto_run": ("Re-plan on every change", "برنامه‌ریزی دوباره با هر تغییر"),
    "licences_allocated": ("Licences allocated", "مجوزهای تخصیص‌یافته"),
    "need_covered": ("Need covered", "نیاز پوشش‌داده‌شده"),
    "spec_refused": ("Speculative applications refused", "درخواست‌های سوداگرانه ردشده"),
    "saturated": ("Licences in saturated units", "مجوز در واحدهای اشباع"),
    "fcfs": ("first come, first served", "به ترتیب نوبت"),
    "vs_fcfs": ("FCFS", "نوبتی"),
    "allocation": ("Allocation", "تخصیص"),
    "search": ("Search (code or name)", "جستجو (کد یا نام)"),
    "infeasible": ("No plan satisfies this scenario", "هیچ برنامه‌ای این سناریو را برآورده نمی‌کند"),
    "infeasible_hint": ("Relax one of the conflicting rules below and run again.", "یکی از قواعد متعارض زیر را سست کنید و دوباره اجرا کنید."),
    "scenario_error": ("The scenario is invalid", "سناریو نامعتبر است"),
    "metric": ("Map shows", "نقشه نشان می‌دهد"),
    "new_licences": ("New licences", "مجوزهای جدید"),
    "score": ("Need score", "امتیاز نیاز"),
    "gap": ("Gap (target − existing)", "کمبود (هدف − موجود)"),
    "choose_county": ("County", "شهرستان"),
    "contributions": ("Indicator contributions to the score", "سهم شاخص‌ها در امتیاز"),
    "existing_urban": ("Existing urban offices", "دفاتر شهری موجود"),
    "existing_rural": ("Existing rural offices", "دفاتر روستایی موجود"),
    "target": ("Target", "هدف"),
    "cap": ("Cap", "سقف"),
    "new": ("New", "جدید"),
    "binding": ("What bound the allocation", "قید تعیین‌کننده"),
    "weight_change": ("Smallest change of one weight that changes this allocation", "کوچک‌ترین تغییر یک وزن که تخصیص را تغییر می‌دهد"),
    "compute": ("Compute", "محاسبه"),
    "no_change_found": ("No change within ±100 % of any single weight changes this allocation.", "هیچ تغییر تا ±۱۰۰٪ در یک وزن تخصیص را تغییر نمی‌دهد."),
    "prob_licences": ("Probability of receiving licences", "احتمال دریافت مجوز"),
    "draws_to_plan": ("Weight draws to re-plan", "تعداد نمونه‌های وزن برای برنامه‌ریزی دوباره"),
    "rank_accept": ("Rank acceptability (top counties)", "پذیرش رتبه (شهرستان‌های برتر)"),
    "critical": ("Most critical indicator", "حساس‌ترین شاخص"),
    "top_k_share": ("Share of draws in the top k", "سهم نمونه‌ها در k برتر"),
    "run_robust": ("Re-plan the weight draws", "برنامه‌ریزی دوباره نمونه‌های وزن"),
    "province": ("Province", "استان"),
    "place": ("Place the licences on settlements", "جانمایی مجوزها روی سکونتگاه‌ها"),
    "placing": ("Placing licences on settlements…", "در حال جانمایی…"),
    "sites": ("Proposed sites", "مکان‌های پیشنهادی"),
    "national_model": ("One national siting model (all settlements, existing offices fixed open)",
                       "یک مدل مکان‌یابی ملی (همه سکونتگاه‌ها، دفاتر موجود ثابت)"),
    "site_model": ("Model", "مدل"),
    "model_mclp": ("Maximal coverage (MCLP)", "حداکثر پوشش"),
    "model_lscp": ("Cover everyone (LSCP)", "پوشش کامل با کمترین دفتر"),
    "model_pmedian": ("p-median (shortest travel)", "میانه p (کمترین مسافت)"),
    "model_attendance": ("Maximise attendance (distance decay)", "بیشینه مراجعه (با کاهش فاصله‌ای)"),
    "model_max_share": ("Maximise market share against the other networks", "بیشینه سهم بازار در برابر شبکه‌های دیگر"),
    "model_target_share": ("Fewest sites to reach a market share", "کمترین دفتر برای رسیدن به سهم بازار"),
    "new_sites": ("New sites", "دفاتر جدید"),
    "decay_kind": ("Distance decay", "کاهش فاصله‌ای"),
    "decay_cutoff": ("No visits beyond (km)", "بیشینه فاصله مراجعه (کیلومتر)"),
    "decay_beta": ("Decay steepness (beta)", "شیب کاهش (بتا)"),
    "target_share_input": ("Market share to reach", "سهم بازار هدف"),
    "site_capacity_input": ("Most visits an office serves (0 = no limit)", "بیشترین مراجعه‌ای که یک دفتر پاسخ می‌دهد (۰ = بی‌سقف)"),
    "site_split_input": ("Let a settlement's visits be shared between offices", "مراجعه‌های یک آبادی میان چند دفتر تقسیم شود"),
    "run_model": ("Run the national model", "اجرای مدل ملی"),
    "running_model": ("Solving the siting model…", "در حال حل مدل مکان‌یابی…"),
    "save_as": ("Save scenario as", "ذخیره سناریو با نام"),
    "save": ("Save", "ذخیره"),
    "overwrite": ("Replace the saved scenario of this name", "جایگزینی سناریوی ذخیره‌شده با این نام"),
    "exists": ("A saved scenario has this name: tick 'replace' to overwrite it.", "سناریویی با این نام وجود دارد: برای جایگزینی گزینه را بزنید."),
    "saved": ("Saved", "ذخیره شد"),
    "open_scenario": ("Saved scenarios", "سناریوهای ذخیره‌شده"),
    "open": ("Open", "باز کردن"),
    "current": ("Open scenario", "سناریوی باز"),
    "unsaved": ("(unsaved)", "(ذخیره‌نشده)"),
    "compare_pick": ("Scenarios to compare", "سناریوها برای مقایسه"),
    "batch_folder": ("Or a batch folder (runs.parquet / allocations.parquet)", "یا پوشه اجرای دسته‌ای"),
    "province_totals": ("Province totals", "جمع استانی"),
    "changes": ("Counties whose allocation changes", "شهرستان‌هایی که تخصیصشان تغییر می‌کند"),
    "export_needs_save": ("Save the scenario first: exports are written inside its run folder.", "ابتدا سناریو را ذخیره کنید: خروجی‌ها درون پوشه اجرای آن نوشته می‌شوند."),
    "make_exports": ("Make the exports", "ساخت خروجی‌ها"),
    "dl_pack": ("Committee pack (PDF)", "بسته کارگروه (PDF)"),
    "dl_map": ("Offline map (HTML)", "نقشه آفلاین (HTML)"),
    "dl_print": ("Print maps (PDF)", "نقشه‌های چاپی (PDF)"),
    "dl_xlsx": ("Workbook (XLSX)", "کارنامه (XLSX)"),
    "dl_gpkg": ("GeoPackage", "ژئوپکیج"),
    "no_plan": ("Run a plan first (Plan page).", "ابتدا برنامه را اجرا کنید (صفحه برنامه)."),
    "date": ("Date", "تاریخ"),
    "level": ("Level", "سطح"),
    "total": ("Total", "جمع"),
    "difference": ("Difference", "تفاوت"),
    "time": ("Re-plan time", "زمان برنامه‌ریزی"),
    # the solver's status of a plan (optimizer.solve), as the caption under the cards shows it
    "status_optimal": ("optimal", "بهینه"),
    "status_time_limit_feasible": ("time limit reached, best plan found", "مهلت زمانی تمام شد؛ بهترین برنامه یافته‌شده"),
    "status_time_limit_no_solution": ("time limit reached, no plan", "مهلت زمانی تمام شد؛ برنامه‌ای یافت نشد"),
    "status_infeasible": ("infeasible", "ناشدنی"),
    "status_unbounded": ("unbounded", "بی‌کران"),
    "status_error": ("solver error", "خطای حل‌کننده"),
    "seconds": ("s", "ثانیه"),
    "notes": ("Notes", "یادداشت‌ها"),
    "lock_unit": ("Unit code", "کد واحد"),
    "lock_total": ("Licences", "تعداد مجوز"),
    "exact": ("exact", "دقیق"),
    "at_most": ("at most", "حداکثر"),
    "no_draws": ("This scenario has no seeded weight draws (sensitivity.draws is 0 in its YAML).",
                 "این سناریو نمونه‌گیری وزن ندارد (در YAML آن sensitivity.draws صفر است)."),
}


def t(key: str, lang: str = "en") -> str:
    """The string ``key`` in ``lang`` (``en`` or ``fa``); the key itself when unknown."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "fa" else pair[0]


def num(value: float, lang: str = "en", decimals: int = 0) -> str:
    """A number with thousands separators, in Persian digits in Persian mode."""
    return number(float(value), decimals, persian=lang == "fa")


def pct(share: float, lang: str = "en", decimals: int = 1) -> str:
    """A share as a percentage (``۴۵٫۲٪`` in Persian mode)."""
    return percent(share, persian=lang == "fa", decimals=decimals)


def today_line(lang: str = "en", date: dt.date | None = None) -> str:
    """Today's date: Jalali with Persian digits in Persian mode, ISO Gregorian in English."""
    date = date or dt.date.today()
    if lang == "fa":
        return jalali_long(date, "fa")
    return f"{date.isoformat()} ({jalali_long(date, 'en')})"


FONT_CSS = """
@font-face { font-family: 'Vazirmatn'; src: url('app/static/fonts/Vazirmatn-Regular.woff2') format('woff2'),
  url('app/static/fonts/Vazirmatn-Regular.ttf') format('truetype'); font-weight: 400; }
@font-face { font-family: 'Vazirmatn'; src: url('app/static/fonts/Vazirmatn-Bold.ttf') format('truetype'); font-weight: 700; }
"""

RTL_CSS = """
html, body, [data-testid="stMain"], [data-testid="stSidebar"], .stMarkdown, .stButton, input, textarea, select, label {
  font-family: 'Vazirmatn', sans-serif !important; }
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
[data-testid="stSlider"] { direction: ltr; }
"""


def page_css(lang: str) -> str:
    """The ``<style>`` block for the page (a constant: never user text)."""
    return "<style>" + FONT_CSS + (RTL_CSS if lang == "fa" else "") + "</style>"
