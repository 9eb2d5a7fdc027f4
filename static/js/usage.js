/* Usage page: draws the plotly chart from the JSON the server put in #usage-chart-data (no inline script). */
(function () {
  "use strict";
  var holder = document.getElementById("usage-chart");
  var source = document.getElementById("usage-chart-data");
  if (!holder || !source || typeof window.Plotly === "undefined") { return; }
  var fig = JSON.parse(source.textContent);
  var labels = fig.labels || [];
  fig.data.forEach(function (trace) {
    if (trace.meta === "labels") { trace.customdata = labels; }
  });
  var narrow = window.matchMedia("(max-width: 600px)");
  function tuned(layout) {
    var l = JSON.parse(JSON.stringify(layout));
    // Room above the plot for the legend: about 7 px a character plus the swatch per entry
    // (plotly puts every entry on its own row once they do not all fit on one).
    var width = Math.max(200, holder.clientWidth - 60), total = 0;
    fig.data.forEach(function (t) { total += t.name.length * 7 + 50; });
    var rows = total > width ? fig.data.length : 1;
    l.margin.t = 12 + 20 * rows;
    if (narrow.matches) {
      l.margin = { l: 44, r: 8, t: 12 + 20 * rows, b: 32 };
      l.font.size = 12;
      l.legend.font = { size: 12 };
      if (l.xaxis.rangeslider) { l.xaxis.rangeslider.thickness = 0.06; }
      l.xaxis.nticks = 4;
    }
    return l;
  }
  var config = fig.config;
  if (narrow.matches) { config = Object.assign({}, config, { displayModeBar: false }); }
  window.Plotly.newPlot(holder, fig.data, tuned(fig.layout), config).then(function () {
    holder.setAttribute("data-ready", "true");
  });
  if (narrow.addEventListener) {
    narrow.addEventListener("change", function () { window.Plotly.relayout(holder, tuned(fig.layout)); });
  }
})();
