"""Streamlit pages for app.py. They call `Assistant` and render; no retrieval or answering here."""
