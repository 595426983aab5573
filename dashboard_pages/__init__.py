"""The dashboard's pages: Streamlit layout only; every computation lives in ``library`` (see library/views.py)."""
