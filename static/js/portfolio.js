/* Portfolio page: draws the stacked chart from the JSON the server put in #portfolio-chart-data. */
(function () {
  "use strict";
  var holder = document.getElementById("portfolio-chart");
  var source = document.getElementById("portfolio-chart-data");
  if (!holder || !source || typeof window.Plotly === "undefined") { return; }
  var fig = JSON.parse(source.textContent);
  var layout = fig.layout, config = fig.config;
  var narrow = window.matchMedia("(max-width: 600px)").matches;
  // The legend sits below the plot, a row for every one to three premises: grow the chart so that many
  // premises (a portfolio of 50) never squeeze the bars away.
  var perRow = narrow ? 1 : 3, rows = Math.ceil(fig.data.length / perRow);
  if (rows > 3) { holder.style.height = (380 + 22 * rows) + "px"; }
  if (narrow) {
    layout.margin = { l: 44, r: 8, t: 8, b: 32 };
    layout.font.size = 12;
    layout.xaxis.nticks = 4;
    config = Object.assign({}, config, { displayModeBar: false });
  }
  window.Plotly.newPlot(holder, fig.data, layout, config).then(function () {
    holder.setAttribute("data-ready", "true");
  });
}());
