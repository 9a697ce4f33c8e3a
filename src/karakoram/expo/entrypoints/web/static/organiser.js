/* Draws the organiser's charts the page embeds as JSON (#expo-charts: element id -> Plotly
   figure), with the Plotly script the expo serves itself. */
(function () {
  "use strict";
  var holder = document.getElementById("expo-charts");
  if (!holder || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(holder.textContent);
  var rtl = document.documentElement.dir === "rtl";
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var layout = Object.assign({ autosize: true, legend: { orientation: "h" } }, figures[id].layout);
    if (rtl) {
      layout.xaxis = { autorange: "reversed" };
      layout.yaxis = { side: "right" };
    }
    window.Plotly.newPlot(element, figures[id].data, layout, { responsive: true, displaylogo: false });
  });
})();
