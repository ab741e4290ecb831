"""What several test modules share, imported from here (never from another test module):
``apptest`` (a page run by AppTest), ``browser`` (``streamlit run`` and Chromium, also used by
benchmarks/), ``threads`` (threads that wait on cue), ``histories`` (training histories) and
``deploy`` (deploy/serve.sh behind nginx)."""
