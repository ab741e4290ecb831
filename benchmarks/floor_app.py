"""The floor the lab is measured against: a bare Streamlit page with two 3-point Plotly charts.

Served by benchmarks/app_latency.py next to the app, in the same run, so that opening the lab is
compared with what Streamlit and plotly.js cost by themselves on this machine.
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Two charts")
left, right = st.columns(2)
for col, key in ((left, "floor_a"), (right, "floor_b")):
    col.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2])), key=key)
