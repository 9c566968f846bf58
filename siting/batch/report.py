"""The batch report: one offline HTML page, Persian and English, comparing every scenario.

Sections: licences by province across scenarios; need covered against budget; robust picks
(counties allocated in at least 90 % of planned scenarios) and swinging counties, with the
parameter ranges under which each swinging county gets licences (a depth-2 scikit-learn
decision tree); regret of each named scenario's plan under the others; rank stability under
weight uncertainty. Figures from plans stopped within a solver gap are flagged (≈). Fonts
are the bundled Vazirmatn as a data URI and figures are inline SVG: no network is used.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from siting.batch.results import PLANNED

ROBUST_SHARE = 0.9
SWING_LIMIT = 30  # swinging counties explained in the report (the closest to 50 % first)
WEIGHT_FAMILIES = ("dirichlet", "ahp", "stakeholder")
REGRET_FAMILIES = ("base", "named")


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _table(frame: pd.DataFrame, floats: int = 3) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, (float, np.floating)):
                cells.append(f"<td>{'' if np.isnan(value) else f'{value:,.{floats}f}'}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _named(frame: pd.DataFrame, names: dict) -> pd.DataFrame:
    """``frame`` with the units' Persian and English names after ``unit_code``."""
    if frame.empty or "unit_code" not in frame.columns:
        return frame
    out = frame.copy()
    at = list(out.columns).index("unit_code") + 1
    out.insert(at, "name_en", out["unit_code"].map(lambda c: names.get(c, ("", ""))[1]))
    out.insert(at, "name_fa", out["unit_code"].map(lambda c: names.get(c, ("", ""))[0]))
    return out


def _svg(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return '<img alt="figure" src="data:image/svg+xml;base64,' + base64.b64encode(text.encode("utf-8")).decode("ascii") + '">'


def _figure(width: float = 8, height: float = 4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        from siting.report.fonts import rc_params

        plt.rcParams.update(rc_params())
    except Exception:  # the figures have English labels; Persian fonts are only a nicety here
        pass
    return plt.subplots(figsize=(width, height))


def province_section(allocations: pd.DataFrame, runs: pd.DataFrame, names: dict) -> str:
    """Licences by province: min, median, max across planned scenarios, and a box plot."""
    if allocations.empty:
        return "<p>No planned scenario.</p>"
    by = allocations.groupby(["province_code", "scenario_id"], observed=True)["new_licences"].sum().unstack("province_code").fillna(0)
    stats = pd.DataFrame({"province_code": by.columns, "min": by.min().to_numpy(), "median": by.median().to_numpy(),
                          "max": by.max().to_numpy(), "spread": (by.max() - by.min()).to_numpy()})
    stats["name_fa"] = stats["province_code"].map(lambda c: names.get(c, ("", ""))[0])
    stats["name_en"] = stats["province_code"].map(lambda c: names.get(c, ("", ""))[1])
    stats = stats[["province_code", "name_fa", "name_en", "min", "median", "max", "spread"]].sort_values("median", ascending=False)
    fig, ax = _figure(10, 4)
    order = stats["province_code"].tolist()
    ax.boxplot([by[c].to_numpy() for c in order], tick_labels=[names.get(c, ("", c))[1] or c for c in order], showfliers=False)
    ax.set_ylabel("new licences")
    ax.tick_params(axis="x", rotation=75, labelsize=7)
    ax.set_title("Licences by province across scenarios")
    return _svg(fig) + _table(stats, floats=0)


def need_section(runs: pd.DataFrame) -> str:
    """Need covered against budget (licences allocated), by family; plans within a gap drawn hollow."""
    planned = runs[runs["status"].isin(PLANNED)]
    if planned.empty:
        return "<p>No planned scenario.</p>"
    fig, ax = _figure(7, 4)
    budget = planned["budget_licences"].astype("float64")
    for family, group in planned.groupby("family", sort=False):
        exact = ~group["within_gap"].fillna(False).astype(bool)
        ax.scatter(budget[group.index][exact], group["need_covered_share"][exact] * 100, s=14, label=str(family))
        if (~exact).any():
            ax.scatter(budget[group.index][~exact], group["need_covered_share"][~exact] * 100, s=14, facecolors="none", edgecolors="k")
    ax.set_xlabel("budget (licences)")
    ax.set_ylabel("need covered (%)")
    ax.legend(fontsize=7)
    ax.set_title("Need covered against budget (hollow: within a solver gap)")
    return _svg(fig)


def robustness(allocations: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per county: share of planned scenarios giving it licences; ``robust`` (≥ 90 %), ``swing`` (otherwise, > 0)."""
    planned = runs.loc[runs["status"].isin(PLANNED), "scenario_id"]
    frame = allocations[allocations["scenario_id"].isin(planned)]
    share = (frame["new_licences"] > 0).groupby(frame["unit_code"], observed=True).mean()
    mean = frame.groupby("unit_code", observed=True)["new_licences"].mean()
    out = pd.DataFrame({"unit_code": share.index, "share_allocated": share.to_numpy(), "mean_licences": mean.reindex(share.index).to_numpy()})
    out["class"] = np.where(out["share_allocated"] >= ROBUST_SHARE, "robust", np.where(out["share_allocated"] > 0, "swing", "never"))
    return out


def _features(runs: pd.DataFrame) -> pd.DataFrame:
    """Numeric parameters and effective weights that vary across planned scenarios."""
    columns = [c for c in runs.columns if c.startswith(("param:", "weight:")) or c == "budget_licences"]
    numeric = runs[columns].apply(pd.to_numeric, errors="coerce")
    numeric = numeric.loc[:, numeric.notna().all() & (numeric.nunique() > 1)]
    return numeric.rename(columns=lambda c: c.removeprefix("param:"))


def _rule(tree, names: list[str]) -> tuple[str, float, float]:
    """The leaf with the highest share of 'gets licences' (ties: the larger), as a conjunction of bounds."""
    t = tree.tree_
    best = None

    def walk(node: int, bounds: dict) -> None:
        nonlocal best
        if t.children_left[node] == -1:
            counts = t.value[node][0]
            share = counts[-1] / counts.sum() if len(counts) > 1 else float(tree.classes_[0])
            size = t.n_node_samples[node]
            if best is None or (share, size) > (best[1], best[2]):
                best = (dict(bounds), share, size)
            return
        name, cut = names[t.feature[node]], t.threshold[node]
        low, high = bounds.get(name, (-np.inf, np.inf))
        walk(t.children_left[node], {**bounds, name: (low, min(high, cut))})
        walk(t.children_right[node], {**bounds, name: (max(low, cut), high)})

    walk(0, {})
    bounds, share, size = best
    text = " and ".join(
        (f"{lo:.4g} < {n} ≤ {hi:.4g}" if np.isfinite(lo) and np.isfinite(hi) else f"{n} ≤ {hi:.4g}" if np.isfinite(hi) else f"{n} > {lo:.4g}")
        for n, (lo, hi) in bounds.items()) or "(every scenario)"
    return text, float(share), int(size)


def discovery(allocations: pd.DataFrame, runs: pd.DataFrame, robust: pd.DataFrame) -> pd.DataFrame:
    """For each swinging county, the parameter box under which it gets licences (depth-2 decision tree)."""
    from sklearn.tree import DecisionTreeClassifier

    planned = runs[runs["status"].isin(PLANNED)].reset_index(drop=True)
    features = _features(planned)
    swing = robust[robust["class"] == "swing"].assign(distance=lambda f: (f["share_allocated"] - 0.5).abs())
    swing = swing.sort_values(["distance", "unit_code"]).head(SWING_LIMIT)
    if features.empty or swing.empty:
        return pd.DataFrame(columns=["unit_code", "share_allocated", "rule", "share_in_box", "scenarios_in_box"])
    wide = (allocations[allocations["unit_code"].isin(swing["unit_code"])]
            .pivot(index="scenario_id", columns="unit_code", values="new_licences").reindex(planned["scenario_id"]))
    rows = []
    for unit, share in zip(swing["unit_code"], swing["share_allocated"]):
        target = (wide[unit].to_numpy() > 0).astype(int)
        tree = DecisionTreeClassifier(max_depth=2, min_samples_leaf=max(2, len(target) // 20), random_state=0)
        tree.fit(features.to_numpy(), target)
        rule, inside, size = _rule(tree, list(features.columns))
        rows.append({"unit_code": unit, "share_allocated": share, "rule": rule, "share_in_box": inside, "scenarios_in_box": size})
    return pd.DataFrame(rows)


def regret(allocations: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Regret of each named scenario's plan (rows) under every other's need (columns).

    A plan's value under scenario j is Σ score_j × min(licences, max(gap_j, 0)): the score-weighted
    need it meets by j's standards and weights. Regret = 1 − value_j(plan_i) / value_j(plan_j).
    """
    named = runs[runs["family"].isin(REGRET_FAMILIES) & runs["status"].isin(PLANNED)]
    if len(named) < 2:
        return pd.DataFrame()
    frame = allocations[allocations["scenario_id"].isin(named["scenario_id"])]
    x = frame.pivot(index="unit_code", columns="scenario_id", values="new_licences")[named["scenario_id"]].to_numpy(float)
    score = frame.pivot(index="unit_code", columns="scenario_id", values="score")[named["scenario_id"]].to_numpy(float)
    gap = np.maximum(frame.pivot(index="unit_code", columns="scenario_id", values="gap")[named["scenario_id"]].to_numpy(float), 0)
    # value[i, j]: plan i under scenario j
    value = np.einsum("uj,uij->ij", score, np.minimum(x[:, :, None], gap[:, None, :]))
    own = np.diag(value)
    matrix = 1 - value / np.where(own > 0, own, np.nan)[None, :]
    labels = named["label"].tolist()
    out = pd.DataFrame(matrix, index=labels, columns=labels)
    out["max regret"] = out.max(axis=1)
    return out.rename_axis("plan \\ measured under").reset_index()


def rank_stability(allocations: pd.DataFrame, runs: pd.DataFrame, top: int = 25) -> tuple[pd.DataFrame, float | None]:
    """Ranks under weight uncertainty: median, 5–95 % range, share in the top 50; mean Spearman ρ with the base."""
    weighted = runs[runs["family"].isin(WEIGHT_FAMILIES) & runs["status"].isin(PLANNED)]["scenario_id"]
    if weighted.empty:
        return pd.DataFrame(), None
    ranks = allocations[allocations["scenario_id"].isin(weighted)].pivot(index="unit_code", columns="scenario_id", values="rank")
    values = ranks.to_numpy(float)
    table = pd.DataFrame({"unit_code": ranks.index, "median_rank": np.median(values, axis=1),
                          "rank_p5": np.percentile(values, 5, axis=1), "rank_p95": np.percentile(values, 95, axis=1),
                          "share_top50": (values <= 50).mean(axis=1)})
    rho = None
    base = runs[(runs["family"] == "base") & runs["status"].isin(PLANNED)]["scenario_id"]
    if len(base):
        reference = allocations[allocations["scenario_id"] == base.iloc[0]].set_index("unit_code")["rank"].reindex(ranks.index).to_numpy(float)
        r = pd.DataFrame(values).rank().to_numpy()
        ref = pd.Series(reference).rank().to_numpy()
        rho = float(np.mean([np.corrcoef(r[:, k], ref)[0, 1] for k in range(r.shape[1])]))
    return table.sort_values(["median_rank", "unit_code"]).head(top), rho


_CSS = """
@font-face{font-family:Vazirmatn;src:url(FONT) format('woff2');}
body{font-family:Vazirmatn,'DejaVu Sans',sans-serif;margin:2em;max-width:1100px;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2em} .fa{direction:rtl;text-align:right;font-size:1.05em;color:#333}
table{border-collapse:collapse;font-size:.85em;margin:1em 0} td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f3f3f3} img{max-width:100%} .flag{color:#a40}
"""


def _heading(en: str, fa: str) -> str:
    return f"<h2>{_e(en)}</h2><p class='fa' lang='fa'>{_e(fa)}</p>"


def batch_report(runs: pd.DataFrame, allocations: pd.DataFrame, expanded, names: dict, missing: int = 0, made: str = "") -> str:
    """The report's HTML (self-contained, offline).

    Parameters
    ----------
    names
        Unit code (provinces and counties) → (name_fa, name_en).
    """
    from siting.report.fonts import webfont_data_uri

    sweep = expanded.sweep
    planned = runs["status"].isin(PLANNED)
    within = runs["within_gap"].fillna(False).astype(bool)
    counts = runs["status"].value_counts().rename_axis("status").reset_index(name="scenarios")
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Batch {_e(sweep.name)}</title>",
             f"<style>{_CSS.replace('FONT', webfont_data_uri())}</style></head><body>",
             f"<h1>Batch report: {_e(sweep.name)}</h1><p class='fa' lang='fa'>گزارش اجرای دسته‌ای سناریوها: {_e(sweep.name_fa or sweep.name)}</p>",
             f"<p>{len(runs):,} scenarios ({int(planned.sum()):,} planned, {int((~planned).sum()):,} failed"
             + (f", {missing:,} not run yet" if missing else "") + f"); data sha256 {_e(expanded.data_sha256[:16])}…; made {_e(made)}.</p>",
             _table(counts)]
    if within.any():
        parts.append(f"<p class='flag'>≈ {int(within.sum())} plan(s) stopped within a solver gap (time limit): their figures are "
                     "within that gap of the optimum, not proven optimal. / ≈ برنامه‌هایی که در محدودهٔ شکاف حل‌کننده متوقف شده‌اند.</p>")
    if (~planned).any():
        failed = runs.loc[~planned, ["label", "status", "message"]].copy()
        failed["message"] = failed["message"].str.slice(0, 300)
        parts.append("<details><summary>Failed scenarios / سناریوهای ناموفق</summary>" + _table(failed) + "</details>")
    parts.append(_heading("Licences by province across scenarios", "مجوزها به تفکیک استان در همهٔ سناریوها"))
    parts.append(province_section(allocations, runs, names))
    parts.append(_heading("Need covered against budget", "پوشش نیاز در برابر بودجه"))
    parts.append(need_section(runs))
    robust = robustness(allocations, runs)
    parts.append(_heading("Robust picks and swinging counties", "شهرستان‌های پایدار و متغیر"))
    if robust.empty:
        parts.append("<p>No planned scenario.</p>")
    else:
        picks = robust[robust["class"] == "robust"].sort_values(["share_allocated", "mean_licences"], ascending=False)
        parts.append(f"<p>{len(picks)} counties get licences in at least {ROBUST_SHARE:.0%} of planned scenarios (robust picks); "
                     f"{int((robust['class'] == 'swing').sum())} get them in some scenarios only (swinging); "
                     f"{int((robust['class'] == 'never').sum())} in none.</p>")
        parts.append("<details><summary>Robust picks / انتخاب‌های پایدار</summary>" + _table(_named(picks, names)) + "</details>")
        rules = discovery(allocations, runs, robust)
        parts.append("<p>Swinging counties and the parameter box under which each gets licences (a depth-2 decision tree over the "
                     "varied parameters and effective weights; share_in_box = share of the box's scenarios that allocate it):</p>")
        parts.append(_table(_named(rules, names)) if len(rules) else "<p>No varied numeric parameter to explain the swings.</p>")
    table = regret(allocations, runs)
    parts.append(_heading("Regret of named scenarios", "پشیمانی سناریوهای نام‌دار"))
    parts.append("<p>Each row's plan measured under each column's scores and need (score-weighted need met); 0 = as good as that "
                 "scenario's own plan.</p>" + (_table(table) if len(table) else "<p>Fewer than two named scenarios.</p>"))
    stability, rho = rank_stability(allocations, runs)
    parts.append(_heading("Rank stability under weight uncertainty", "پایداری رتبه‌ها در برابر عدم قطعیت وزن‌ها"))
    if len(stability):
        parts.append((f"<p>Mean Spearman correlation of ranks with the base: {rho:.3f}.</p>" if rho is not None else "") + _table(_named(stability, names)))
    else:
        parts.append("<p>No weight-uncertainty scenarios in this sweep.</p>")
    parts.append("<p>Tables: runs.parquet, allocations.parquet, summary.csv (timings in timings.csv).</p></body></html>")
    return "\n".join(parts)
