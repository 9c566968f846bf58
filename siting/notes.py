"""The plan's notes in English and Persian, both written from the same numbers.

A note is a kind and its values (:class:`Note`); :func:`note_text` writes it in
either language. The English text goes to the CLI and ``summary.json``'s
``notes``, the Persian to ``notes_fa`` and the dashboard's Persian pages, so the
two always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.formulation import GROUP_TITLES
from siting.text import number, percent, to_persian_digits

__all__ = ["DECAY_FA", "GROUP_TITLES_FA", "NETWORK_FA", "Note", "note_text"]

#: The other networks' names in Persian (``siting.scenario`` network codes).
NETWORK_FA = {"police10": "پلیس+۱۰", "municipal": "دفاتر خدمات شهرداری", "rural_ict": "دفاتر ICT روستایی", "post": "پست"}

#: Distance-decay kinds in Persian.
DECAY_FA = {"linear": "خطی", "power": "توانی", "exponential": "نمایی", "cutoff": "آستانه‌ای"}

#: The allocation's constraint groups (``optimizer.formulation.GROUP_TITLES``) in Persian.
GROUP_TITLES_FA = {
    "budget": "بودجه ملی مجوز", "loan_budget": "بودجه وام", "saturation_cap": "سقف اشباع", "viability": "حداقل جمعیت هر دفتر",
    "province_floor": "کف استانی", "province_ceiling": "سقف استانی", "industrial_parks": "قاعده شهرک صنعتی",
    "rural_share": "حداقل سهم روستایی", "locked": "قفل کارگروه",
}


@dataclass(frozen=True)
class Note:
    """One note of a plan: its ``kind`` (a key of ``_WRITERS``) and the values it is written from."""

    kind: str
    values: dict = field(default_factory=dict)


def note_text(note: Note, lang: str = "en") -> str:
    """The note in English (``en``) or Persian (``fa``, Persian digits)."""
    return _WRITERS[note.kind](note.values, lang == "fa")


def _n(value: float, fa: bool, decimals: int = 0) -> str:
    return number(float(value), decimals, persian=fa)


def _g(value: float, fa: bool) -> str:
    text = f"{float(value):g}"
    return number(float(value), len(text.split(".")[1]) if "." in text else 0, persian=fa)


def _converted(v: dict, fa: bool) -> str:
    if fa:
        listed = "، ".join(f"{NETWORK_FA.get(k, k)} {_n(n, fa)}" for k, n in v["networks"].items())
        return (f"{_n(v['total'], fa)} دفتر از شبکه‌های دیگر به دفتر پیشخوان تبدیل و موجود شمرده شد ({listed}): "
                f"{_n(v['urban'], fa)} دفتر شهری و {_n(v['rural'], fa)} دفتر روستایی از نیاز برآورده‌نشده را پر می‌کنند و "
                "این مجوزها دیگر لازم نیست")
    listed = ", ".join(f"{k} {n:,}" for k, n in v["networks"].items())
    return (f"{v['total']:,} offices of other networks converted to counter offices and counted as existing ({listed}): "
            f"they fill {v['urban']:,} urban and {v['rural']:,} rural offices of unmet need, licences no longer needed")


def _residents(v: dict, fa: bool) -> str:
    if fa:
        names = {"urban": "شهری", "rural": "روستایی"}
        parts = [f"{names[k]} {_n(v[k], fa)} نفر برای هر دفتر" for k in ("urban", "rural") if v[k]]
        return "قاعده دوام: جمعیت (" + ("، ".join(parts) or "خاموش") + ")"
    parts = [f"{k} {v[k]:,.0f} residents per office" for k in ("urban", "rural") if v[k]]
    return "viability rule: residents (" + (", ".join(parts) or "off") + ")"


def _rural_share_off(v: dict, fa: bool) -> str:
    if fa:
        return "قید حداقل سهم روستایی خاموش شد: داده‌ها جمعیت روستایی ندارند"
    return "rural share constraint switched off: the data has no rural population"


def _scores_shifted(v: dict, fa: bool) -> str:
    if fa:
        return "امتیازها برای تخصیص به وزن‌های نیاز نامنفی منتقل شدند (ترکیب‌های z-score منفی)"
    return "scores shifted to non-negative need weights for the allocation (negative z-score composites)"


def _visits(v: dict, fa: bool) -> str:
    if fa:
        networks = "، ".join(NETWORK_FA.get(k, k) for k in v["networks"]) or "هیچ"
        return (f"قاعده دوام: مراجعه ({_g(v['visits_per_resident'], fa)} مراجعه برای هر نفر در سال، پس از آن‌که دفاتر "
                f"{networks} سهم هاف خود را با زوال {DECAY_FA.get(v['decay'], v['decay'])} تا {_g(v['cutoff_km'], fa)} کیلومتر "
                f"برداشتند؛ دست‌کم {_n(v['min_urban'], fa)} مراجعه برای هر دفتر شهری و {_n(v['min_rural'], fa)} برای هر دفتر "
                f"روستایی؛ میانه سهم دفاتر پیشخوان {percent(v['median_share'], persian=True)})")
    return (f"viability rule: visits ({v['visits_per_resident']:g} visit(s) per resident a year, after the "
            f"{', '.join(v['networks']) or 'no'} offices take their Huff share with {v['decay']} decay to "
            f"{v['cutoff_km']:g} km; at least {v['min_urban']:,.0f} visits per urban and {v['min_rural']:,.0f} per "
            f"rural office; median counter share {v['median_share']:.1%})")


def _unspent(v: dict, fa: bool) -> str:
    """Why licences were left unspent (``optimizer.binding.unspent_facts``)."""
    if not fa:
        reasons = [f"{GROUP_TITLES[g['group']]} reached ({g['rows']}: {', '.join(g['labels'])}{', …' if g['rows'] > 8 else ''})"
                   for g in v["tight"]]
        if v["open"]:
            reasons.append(f"{v['capped']} of {v['areas']} areas have no room left under their saturation cap or minimum "
                           f"catchment; the other {v['open']} have room for {v['room']:,} more, held back by the limits above")
        else:
            reasons.append(f"all {v['areas']} areas are full under their saturation cap or minimum catchment")
        return (f"{v['unspent']:,} of the {v['budget']:,} licences left unspent: " + "; ".join(reasons)
                + "; licences beyond these limits would only feed speculation")
    reasons = []
    for group in v["tight"]:
        listed = "، ".join(to_persian_digits(label) for label in group["labels"]) + ("، …" if group["rows"] > 8 else "")
        reasons.append(f"{GROUP_TITLES_FA.get(group['group'], group['group'])} پر شد ({_n(group['rows'], fa)}: {listed})")
    if v["open"]:
        reasons.append(f"{_n(v['capped'], fa)} از {_n(v['areas'], fa)} پهنه زیر سقف اشباع یا حداقل جمعیت خود جایی ندارند؛ "
                       f"{_n(v['open'], fa)} پهنه دیگر جای {_n(v['room'], fa)} مجوز دیگر دارند که حدهای بالا نگهشان داشته‌اند")
    else:
        reasons.append(f"هر {_n(v['areas'], fa)} پهنه زیر سقف اشباع یا حداقل جمعیت خود پر است")
    return (f"{_n(v['unspent'], fa)} مجوز از {_n(v['budget'], fa)} مجوز خرج نشد: " + "؛ ".join(reasons)
            + "؛ مجوز بیش از این حدها تنها به سوداگری دامن می‌زند")


#: Each kind of note and its writer ``(values, persian) -> text``.
_WRITERS = {
    "rural_share_off": _rural_share_off,
    "converted": _converted,
    "viability_residents": _residents,
    "viability_visits": _visits,
    "scores_shifted": _scores_shifted,
    "unspent": _unspent,
}
