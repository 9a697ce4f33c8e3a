/* Draws the charts a statistics page embeds as JSON (#analyst-charts: element id -> Plotly
   figure), with the Plotly script the node itself serves. */
(function () {
  "use strict";
  var holder = document.getElementById("analyst-charts");
  if (!holder || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(holder.textContent);
  var rtl = document.documentElement.dir === "rtl";
  var font = window.getComputedStyle(document.body).fontFamily;
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var figure = figures[id];
    var layout = Object.assign(
      {
        autosize: true,
        font: { family: font },
        margin: { t: 72, r: 24, b: 24, l: 24 },
        // above the plot, under the title: never over an axis title, whatever the height
        legend: { orientation: "h", traceorder: "normal", x: rtl ? 1 : 0, xanchor: rtl ? "right" : "left", y: 1, yanchor: "bottom" },
        paper_bgcolor: "#fff",
        plot_bgcolor: "#fff"
      },
      figure.layout
    );
    layout.xaxis = Object.assign({ automargin: true, rangemode: "tozero" }, layout.xaxis);
    layout.yaxis = Object.assign({ automargin: true, rangemode: "tozero" }, layout.yaxis);
    if (rtl) {
      // mirrored for a right-to-left reader: time and values grow leftwards, the value axis
      // stands on the right (the SVG itself stays left to right: see analyst.css)
      layout.xaxis.autorange = "reversed";
      layout.yaxis.side = "right";
    }
    if (layout.title) {
      layout.title = Object.assign({ x: rtl ? 0.98 : 0.02, xanchor: rtl ? "right" : "left" }, layout.title);
    }
    window.Plotly.newPlot(element, figure.data, layout, { responsive: true, displaylogo: false });
  });
})();
