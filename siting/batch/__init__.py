"""The batch scenario runner (``amayesh batch``): sweeps of scenarios, run locally or on Dask, compared in one report.

Modules: :mod:`~siting.batch.sweep` (sweep files, expansion, ids), :mod:`~siting.batch.sampling`
(Latin hypercube, Dirichlet weights, perturbed AHP), :mod:`~siting.batch.worker` (cached dataset,
chunk task), :mod:`~siting.batch.runner` (local pool, Dask, resume, atomic files),
:mod:`~siting.batch.results` (tables, :func:`read_batch`), :mod:`~siting.batch.report` (HTML).
"""

from siting.batch.results import BatchResults, read_batch

__all__ = ["BatchResults", "read_batch"]
