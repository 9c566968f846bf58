"""Settlement-level location models: maximal covering, set covering, p-median, attendance and market share.

Each model is a function of plain arrays returning a frozen :class:`SitingResult`;
``*_from_frames`` adapters take (Geo)DataFrames of settlements, candidate sites
and existing offices. Models are reduced (optimum-preserving), started from a
greedy + swap plan and solved by a solver object passed in (default
:class:`HighsSolver`, HiGHS fed the arrays directly; :class:`PulpSolver` wraps
any PuLP solver). See ``docs/locate.md``.
"""

from siting.locate._highs import HighsSolver
from siting.locate._inputs import LocationInputError
from siting.locate.distances import (
    MatrixNeighbours,
    NeighbourSource,
    TreeNeighbours,
    coverage_from_distances,
    haversine_km,
    planar_within_radius,
    read_travel_times,
    within_radius,
)
from siting.locate.attendance import solve_attendance
from siting.locate.decay import Decay
from siting.locate.frames import (
    attendance_from_frames,
    chosen_candidates,
    lscp_from_frames,
    mclp_from_frames,
    pmedian_from_frames,
    share_from_frames,
)
from siting.locate.huff import competitor_attraction, solve_max_share, solve_target_share
from siting.locate.lscp import solve_lscp
from siting.locate.mclp import solve_mclp
from siting.locate.mip import MipModel, MipOutcome, MipSolver
from siting.locate.pmedian import solve_pmedian
from siting.locate.pulp_backend import PulpSolver
from siting.locate.result import SitingResult

__all__ = [
    "HighsSolver",
    "PulpSolver",
    "MipModel",
    "MipOutcome",
    "MipSolver",
    "SitingResult",
    "LocationInputError",
    "solve_mclp",
    "solve_lscp",
    "solve_pmedian",
    "solve_attendance",
    "solve_max_share",
    "solve_target_share",
    "competitor_attraction",
    "Decay",
    "attendance_from_frames",
    "share_from_frames",
    "mclp_from_frames",
    "lscp_from_frames",
    "pmedian_from_frames",
    "chosen_candidates",
    "within_radius",
    "planar_within_radius",
    "coverage_from_distances",
    "haversine_km",
    "read_travel_times",
    "NeighbourSource",
    "TreeNeighbours",
    "MatrixNeighbours",
]
