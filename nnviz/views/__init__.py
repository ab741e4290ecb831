"""Presentation: Plotly figure builders, the pages' models, URL state, colours.

The only part of nnviz that imports plotly; none of it imports streamlit (that is app_pages/).
"""
