// The back-test's channel shares as a grouped bar chart, drawn with the node's own Plotly from
// the JSON the page carries. Without JavaScript the table beside it says the same.
(function () {
  "use strict";
  var holder = document.getElementById("shares-chart");
  var source = document.getElementById("backtest-data");
  if (!holder || !source || typeof Plotly === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = { green: "#2e7d32", blue: "#1f5f8b", yellow: "#9a6b00", red: "#b3261e" };
  var names = data.channels.map(function (c) { return data.labels[c] || c; });
  var rtl = document.documentElement.dir === "rtl";
  var traces = [
    {
      type: "bar",
      name: data.series.tested,
      x: names,
      y: data.tested,
      marker: { color: data.channels.map(function (c) { return colours[c] || "#5b6472"; }) },
      hovertemplate: "%{x}: %{y:.1%}<extra></extra>"
    },
    {
      type: "bar",
      name: data.series.actual,
      x: names,
      y: data.actual,
      marker: { color: "#9aa3ad" },
      hovertemplate: "%{x}: %{y:.1%}<extra></extra>"
    }
  ];
  var layout = {
    barmode: "group",
    margin: { t: 20, r: 20, b: 40, l: 50 },
    yaxis: { tickformat: ".0%", rangemode: "tozero" },
    xaxis: { autorange: rtl ? "reversed" : true },
    legend: { orientation: "h", y: -0.15 },
    font: { family: "system-ui, 'Noto Sans', 'Noto Sans CJK SC', 'Noto Nastaliq Urdu', sans-serif" }
  };
  Plotly.newPlot(holder, traces, layout, { responsive: true, displaylogo: false });
  holder.removeAttribute("aria-hidden");
  holder.setAttribute("role", "img");
  holder.setAttribute("aria-label", document.querySelector(".shares-block h2").textContent);
})();
