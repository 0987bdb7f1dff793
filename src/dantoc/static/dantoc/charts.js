// Disbursement curves drawn with the vendored Chart.js from JSON data blocks
// (<script type="application/json">, referenced by a canvas's data-chart-source): no inline script.
(function () {
  "use strict";
  var COLORS = { current: "#a3171c", previous: "#5b6b7b", expected: "#1f7a3a" };
  var DASH = { current: [], previous: [6, 4], expected: [2, 3] };

  function percent(value) {
    if (value === null || value === undefined) { return "—"; }
    var lang = document.documentElement.lang || "vi";
    return value.toLocaleString(lang, { maximumFractionDigits: 1 }) + " %";
  }

  function dataset(series) {
    return {
      label: series.label,
      data: series.data,
      borderColor: COLORS[series.key] || "#0b5cab",
      backgroundColor: COLORS[series.key] || "#0b5cab",
      borderDash: DASH[series.key] || [],
      borderWidth: series.key === "current" ? 3 : 2,
      pointRadius: series.key === "expected" ? 0 : 3,
      spanGaps: false,
      tension: 0.15
    };
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = (root || document).querySelectorAll("canvas[data-chart-source]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart-source"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var previous = window.Chart.getChart(canvas);
      if (previous) { previous.destroy(); }
      new window.Chart(canvas, {
        type: "line",
        data: { labels: data.labels, datasets: data.series.map(dataset) },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + " %"; } } }
          },
          plugins: {
            tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + percent(ctx.parsed.y); } } }
          }
        }
      });
      canvas.setAttribute("data-chart-ready", "1");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { draw(ev.target); });
})();
