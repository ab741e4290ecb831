"""A page run by streamlit.testing.v1.AppTest, and what it sent to the browser."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SHORT = {"epochs": "30,30"}  # the lab's default runs, shortened


def open_app(params: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    """The lab (app.py) run once with these URL parameters (default: the short runs)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(SHORT if params is None else params)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def charts(at: AppTest) -> dict[str | None, dict]:
    """Every chart on the page, by key: the figure JSON that reached the browser, whether drawn
    by st.plotly_chart or by the pages' own chart component (app_pages/parts/charts.py)."""
    found = [(c.key, json.loads(c.proto.spec)) for c in at.get("plotly_chart")]
    found += [(c.key, json.loads(c.proto.bytes)) for c in at.get("bidi_component")]
    return dict(found)


def chart(at: AppTest, key: str) -> dict:
    (found,) = [spec for k, spec in charts(at).items() if k == key]
    return found


def params(at: AppTest) -> dict[str, str]:
    """The page's URL parameters, the last value of each."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def plotly_array(value) -> np.ndarray:
    """An array as Plotly's JSON carries it: a list, or base64 bytes with a dtype and a shape."""
    if not isinstance(value, dict):
        return np.asarray(value, dtype=float)
    flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
