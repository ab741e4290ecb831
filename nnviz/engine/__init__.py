"""The engine: configuration, data, the batched network, the update rules and the lockstep trainer.

NumPy and scikit-learn only (no streamlit, no plotly). Everything the lab, the playground and the
CLI compute about a network comes from here.
"""
