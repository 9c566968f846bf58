"""Loading and validating Amayesh's inputs (see :mod:`siting.data.dataset`)."""

from siting.data._read import csv_problem
from siting.data.dataset import EMBEDDED, Dataset, data_fingerprint, load_dataset, summary

__all__ = ["EMBEDDED", "Dataset", "csv_problem", "data_fingerprint", "load_dataset", "summary"]
