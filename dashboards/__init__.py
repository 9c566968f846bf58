"""The Amayesh planning dashboard (Streamlit): pure helpers here, the Streamlit script in ``app.py``.

Every plan the dashboard makes goes through :mod:`siting.pipeline`, the same functions the CLI calls.
"""
