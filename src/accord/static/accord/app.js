// Draws every chart on the page from its JSON data block (see the `chart` template tag).
// No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  const palette = ["#3b5bdb", "#12b886", "#f59f00", "#e64980", "#7950f2", "#15aabf",
    "#fa5252", "#82c91e", "#fd7e14", "#4c6ef5", "#be4bdb", "#868e96"];

  function money(value) {
    return "$" + Math.round(value).toLocaleString("en-US");
  }

  // A fraction shown as a percentage (0.254 -> "25.4%"), for data blocks with "percent": true.
  function percent(value) {
    return (Math.round(Number(value) * 1000) / 10).toLocaleString("en-US") + "%";
  }

  // A multiple, for data blocks with "ratio": true (3.456 -> "3.46×").
  function ratio(value) {
    return Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 }) + "×";
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const datasets = spec.datasets
      ? spec.datasets.map((d, i) => ({ label: d.label, data: d.values,
          backgroundColor: d.color || palette[i % palette.length],
          borderColor: d.color || palette[i % palette.length] }))
      : [{ label: spec.series, data: spec.values, borderColor: palette[0],
           backgroundColor: spec.kind === "doughnut" ? palette : palette[0] }];
    const funnel = spec.kind === "funnel";
    const format = spec.money ? money : spec.percent ? percent : spec.ratio ? ratio
      : (v) => Number(v).toLocaleString("en-US");
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: funnel ? "bar" : spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: funnel ? "y" : "x",
        plugins: {
          legend: { display: spec.kind === "doughnut" || datasets.length > 1, position: spec.legend || "right" },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.raw)}` } },
        },
        scales: spec.kind === "doughnut" ? {} : {
          x: { stacked: !!spec.stacked, ticks: funnel ? { callback: format } : {} },
          y: { stacked: !!spec.stacked, beginAtZero: true,
               ticks: funnel ? {} : { callback: format, precision: spec.money || spec.percent || spec.ratio ? undefined : 0 } },
        },
      },
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
})();

// "Copy" beside a read-only snippet (data-copy names the field): the calculator's embed code.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
