"""Amayesh (آمایش): spatial planning of Iran's government service counter offices.

The data flows one way: load → validate → indicators → score → optimise → report.
``siting`` holds the data layer, indicators, scores and settlement-level location
models; ``optimizer`` holds the county licence-allocation integer programme.
"""

__version__ = "0.1.0"
