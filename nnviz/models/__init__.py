"""Page models and URL state: plain Python between the engine and the figures.

No Plotly and no Streamlit here.

The lab's and the sweep page's experiments and their URLs, the playground's settings and steps,
live-training pacing, exports, the final numbers, the formulas with their numbers, and the turns
that decide how sessions share trainings.
"""
