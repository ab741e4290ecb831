"""Plotly figure builders: data in, go.Figure out, one builder per figure; colours and iso-lines.

The only part of nnviz that imports plotly; none of it imports streamlit (that is app_pages/).
What the figures show comes from nnviz/models and nnviz/engine.
"""
