// The browser half of the chart component (app_pages/parts/charts.py): a figure's JSON drawn by
// plotly.js's cartesian bundle, loaded once per tab from app/static/ (charts.py fills in the
// file name, its BUNDLE).
//
// What the chart's div tells a reader of the page (the browser tests wait on these):
//   data-drawn="n"   present while plotly.js has drawn the figure at the div's own width; absent
//                    while a draw or a resize is under way; n counts the draws so far.
//   data-animating   "true" from Plotly's Play until its animation stops (ended or paused).
const BUNDLE = "@BUNDLE@";

function plotly() {
  if (!window.__nnvizPlotly) {
    window.__nnvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(`app/static/${BUNDLE}`, document.baseURI).href;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__nnvizPlotly = null;
        reject(new Error("plotly.js did not load"));
      };
      document.head.appendChild(script);
    });
  }
  return window.__nnvizPlotly;
}

// A draw or a resize begins: the div is not drawn until every one begun has ended.
function begin(el) {
  el.__nnvizBusy = (el.__nnvizBusy || 0) + 1;
  el.removeAttribute("data-drawn");
}

function end(el, drawn = true) {
  el.__nnvizBusy -= 1;
  if (el.__nnvizBusy === 0 && drawn) {
    el.__nnvizDraws = (el.__nnvizDraws || 0) + 1;
    el.dataset.drawn = String(el.__nnvizDraws);
  }
}

// Plotly redraws at the div's width only when asked (Plots.resize: 100 ms later, a relayout).
// Asked when the width differs by more than Plotly's own tolerance of 1 px from the one drawn;
// a resize asked again before the last one ran replaces it, and only the last one settles.
function follow(Plotly, el, width) {
  const drawn = el._fullLayout && el._fullLayout.width;
  if (!drawn || (el.layout && el.layout.width) || Math.abs(width - drawn) <= 1) return;
  if (!el.__nnvizResizing) {
    el.__nnvizResizing = true;
    begin(el);
  }
  const settled = () => {
    if (!el.__nnvizResizing) return;
    el.__nnvizResizing = false;
    end(el);
  };
  Plotly.Plots.resize(el).then(settled, settled);  // rejected when the div is hidden
}

// what a click on a point reports: as st.plotly_chart's selection points, the fields we read
const point = (p) => ({
  curve_number: p.curveNumber,
  point_index: p.pointIndex,
  point_number: p.pointNumber,
  x: p.x,
  y: p.y,
  customdata: p.customdata,
});

// Plotly's events, listened to once per div; the click (and a box drawn with the select tool,
// its x and y ranges in data values, log axes included) go to the latest mount's callback.
function listen(el, spec, setTriggerValue) {
  el.__nnvizClick = spec.clicks ? setTriggerValue : null;
  el.__nnvizSelect = spec.selects ? setTriggerValue : null;
  if (el.__nnvizListening) return;
  el.__nnvizListening = true;
  el.on("plotly_click", (e) => {
    if (el.__nnvizClick) el.__nnvizClick("click", e.points.map(point));
  });
  el.on("plotly_selected", (e) => {
    if (el.__nnvizSelect && e && e.range) el.__nnvizSelect("select", { x: e.range.x, y: e.range.y });
  });
  el.on("plotly_animating", () => { el.dataset.animating = "true"; });
  el.on("plotly_animated", () => { el.dataset.animating = "false"; });
}

function chartDiv(parentElement) {
  let el = parentElement.querySelector("div.nnviz-chart");
  if (!el) {
    el = document.createElement("div");
    el.className = "nnviz-chart";
    el.style.width = "100%";
    parentElement.appendChild(el);
  }
  return el;
}

export default function ({ data, parentElement, setTriggerValue }) {
  const el = chartDiv(parentElement);
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  const spec = JSON.parse(text);
  const height = spec.layout && spec.layout.height;
  if (height) el.style.minHeight = height + "px";  // the room is kept while plotly.js loads
  if (spec.alt) { el.setAttribute("role", "img"); el.setAttribute("aria-label", spec.alt); }
  let observer = null;
  let gone = false;
  begin(el);
  plotly().then((Plotly) => {
    if (gone) return null;
    const { data, layout, frames, config } = spec;
    const drawing = Plotly.react(el, { data, layout, frames, config });
    listen(el, spec, setTriggerValue);
    observer = new ResizeObserver((entries) => {
      if (!gone && el.isConnected) follow(Plotly, el, entries[entries.length - 1].contentRect.width);
    });
    observer.observe(el);
    return drawing;
  }).then(() => end(el)).catch((err) => {
    end(el, false);
    el.textContent = "This chart could not be drawn: " + err.message + ". Reload the page.";
  });
  // Unmounted (a new key, a page change): the div leaves the page and is garbage. It is not
  // purged: plotly.js may still finish a draw or a resize on it after this, which throws on a
  // purged div ("e.emit is not a function"); no listener outside the div is left behind (no
  // "responsive" window listener: the ResizeObserver on the div alone follows its width).
  return () => {
    gone = true;
    if (observer) observer.disconnect();
  };
}
