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
    var entries = fig.data.filter(function (t) { return t.showlegend !== false; });
    entries.forEach(function (t) { total += t.name.length * 7 + 50; });
    var rows = total > width ? entries.length : 1;
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
  // Keyboard: focus the chart, then arrow keys (Home/End) step through the intervals; the tooltip follows
  // and a live region reads the interval and its values.
  var figure = holder.closest("figure");
  if (figure && labels.length) {
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    figure.appendChild(live);
    figure.setAttribute("tabindex", "0");
    var index = -1;
    figure.addEventListener("keydown", function (event) {
      var n = labels.length;
      var moves = { ArrowLeft: -1, ArrowRight: 1, Home: -n, End: n, PageUp: -10, PageDown: 10 };
      if (!(event.key in moves)) { return; }
      event.preventDefault();
      if (event.key === "Home") { index = 0; }
      else if (event.key === "End") { index = n - 1; }
      else if (index < 0) { index = moves[event.key] < 0 ? n - 1 : 0; }
      else { index = Math.min(n - 1, Math.max(0, index + moves[event.key])); }
      var points = [], parts = [];
      fig.data.forEach(function (trace, curve) {
        var y = trace.y[index];
        if (y !== null && y !== undefined) {
          points.push({ curveNumber: curve, pointNumber: index });
          if (trace.meta === "bill") { parts.push(trace.name + " " + trace.text[index]); }
          else { parts.push(trace.name + " " + Number(y).toFixed(3) + " kWh"); }
        }
      });
      if (points.length) { window.Plotly.Fx.hover(holder, points); } else { window.Plotly.Fx.unhover(holder); }
      live.textContent = labels[index] + ": " + (parts.length ? parts.join(", ") : "no data");
    });
    figure.addEventListener("blur", function () { window.Plotly.Fx.unhover(holder); });
  }
  if (narrow.addEventListener) {
    narrow.addEventListener("change", function () { window.Plotly.relayout(holder, tuned(fig.layout)); });
  }
})();
