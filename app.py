"""nnviz in the browser: `streamlit run app.py`. Navigation only; each page is in app_pages/."""

import streamlit as st

st.set_page_config(page_title="nnviz", page_icon="🧠", layout="wide")
page = st.navigation(
    [
        st.Page("app_pages/lab.py", title="Training lab", default=True),
        st.Page("app_pages/playground.py", title="Optimizer playground", url_path="playground"),
        st.Page("app_pages/sweep.py", title="Sweep maps", url_path="sweep"),
        st.Page("app_pages/classroom.py", title="Class", url_path="class"),
    ]
)
page.run()
