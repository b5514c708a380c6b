/* The observatory's figures (web/templates/macros/charts.html): each chart is drawn from its data
   table, which stays the reference and stays visible. A cell without data-value (secret statistique,
   no data) is a gap, never a zero. Line and bar charts and funnels use Chart.js (vendor/chartjs),
   choropleths Leaflet (vendor/leaflet) on the outlines the app serves: offline, no tile layer.
   No animation for people who ask for reduced motion. */
(function () {
  "use strict";
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // At least 4.5:1 on white each; lines also differ by dash and point shape (not by colour alone).
  var COLOURS = ["#134a7c", "#a14a00", "#1e6b3a", "#6a2c8c", "#b00020"];
  var DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4], [4, 4]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot"];
  // A sequential scale, light to dark (ColorBrewer « Blues », 5 classes).
  var SCALE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var OUTLINE = "#3d4752";
  var numberFr = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

  function text(el) { return el.textContent.replace(/\s+/g, " ").trim(); }

  // The figure's table as the chart reads it: row labels, codes, and each series' values.
  function read(figure) {
    var table = figure.querySelector("table");
    var series = Array.prototype.map.call(table.querySelectorAll("thead th[data-series]"), function (th) {
      return { title: text(th), values: [], texts: [] };
    });
    var labels = [], codes = [];
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
      labels.push(text(tr.querySelector("th")));
      codes.push(tr.getAttribute("data-code"));
      Array.prototype.forEach.call(tr.querySelectorAll("td"), function (td, i) {
        var raw = td.getAttribute("data-value");
        series[i].values.push(raw === null ? null : Number(raw));
        series[i].texts.push(text(td));
      });
    });
    return { labels: labels, codes: codes, series: series };
  }

  function placeBefore(figure, el) {
    figure.insertBefore(el, figure.querySelector(".table-wrap"));
  }

  function drawChart(figure, data) {
    if (typeof Chart === "undefined") { return; }
    var kind = figure.getAttribute("data-chart");
    var box = document.createElement("div");
    box.className = "chart-canvas";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", figure.getAttribute("data-label"));
    box.appendChild(canvas);
    placeBefore(figure, box);
    var line = kind === "line";
    /* global Chart */
    new Chart(canvas, {
      type: line ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: s.title,
            data: s.values,
            borderColor: colour,
            backgroundColor: colour,
            borderWidth: line ? 2 : 0,
            borderDash: line ? DASHES[i % DASHES.length] : [],
            pointStyle: POINTS[i % POINTS.length],
            pointRadius: line ? 4 : 0,
            spanGaps: false
          };
        })
      },
      options: {
        locale: "fr-FR",
        animation: reduced ? false : { duration: 300 },
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: kind === "funnel" ? "y" : "x",
        plugins: {
          legend: { display: data.series.length > 1, labels: { usePointStyle: line, color: "#1b1b1b" } },
          tooltip: {
            callbacks: {
              // The table's own French text: « secret statistique » where the chart has a gap.
              label: function (ctx) {
                return ctx.dataset.label + " : " + data.series[ctx.datasetIndex].texts[ctx.dataIndex];
              }
            }
          }
        },
        scales: {
          x: { beginAtZero: kind !== "line", ticks: { color: "#1b1b1b" } },
          y: { beginAtZero: true, ticks: { color: "#1b1b1b" } }
        }
      }
    });
    figure.setAttribute("data-drawn", "");
  }

  // Class bounds of equal width between the smallest and the largest value.
  function classes(values) {
    var known = values.filter(function (v) { return v !== null && !isNaN(v); });
    if (!known.length) { return []; }
    var lo = Math.min.apply(null, known), hi = Math.max.apply(null, known);
    var n = lo === hi ? 1 : SCALE.length, step = (hi - lo) / n, bounds = [];
    for (var i = 0; i < n; i++) { bounds.push([lo + i * step, i === n - 1 ? hi : lo + (i + 1) * step]); }
    return bounds;
  }

  function classOf(bounds, value) {
    for (var i = 0; i < bounds.length; i++) { if (value <= bounds[i][1]) { return i; } }
    return bounds.length - 1;
  }

  function colourOf(bounds, i) {
    // One class (every value equal) takes the middle colour.
    return bounds.length === 1 ? SCALE[2] : SCALE[i];
  }

  function hatch(map, id) {
    var svg = map.getPanes().overlayPane.querySelector("svg");
    if (!svg) { return; }
    var ns = "http://www.w3.org/2000/svg";
    var defs = document.createElementNS(ns, "defs");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", id);
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var ground = document.createElementNS(ns, "rect");
    ground.setAttribute("width", "8");
    ground.setAttribute("height", "8");
    ground.setAttribute("fill", "#e3e3e3");
    var stroke = document.createElementNS(ns, "line");
    stroke.setAttribute("x1", "0");
    stroke.setAttribute("y1", "0");
    stroke.setAttribute("x2", "0");
    stroke.setAttribute("y2", "8");
    stroke.setAttribute("stroke", "#6b6b6b");
    stroke.setAttribute("stroke-width", "3");
    pattern.appendChild(ground);
    pattern.appendChild(stroke);
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
  }

  function legendItem(list, swatchClass, colour, label) {
    var item = document.createElement("li");
    var swatch = document.createElement("span");
    swatch.className = "swatch " + swatchClass;
    if (colour) { swatch.style.backgroundColor = colour; }
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(label));
    list.appendChild(item);
  }

  function drawMap(figure, data) {
    if (typeof L === "undefined") { return; }
    var series = data.series[0];
    var bounds = classes(series.values);
    var byCode = {};
    data.codes.forEach(function (code, i) {
      byCode[code] = { value: series.values[i], text: series.texts[i], name: data.labels[i] };
    });
    var box = document.createElement("div");
    box.className = "chart-map";
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", figure.getAttribute("data-label"));
    placeBefore(figure, box);
    var legend = document.createElement("ul");
    legend.className = "chart-legend";
    bounds.forEach(function (b, i) {
      var label = b[0] === b[1] ? numberFr.format(b[0]) : "de " + numberFr.format(b[0]) + " à " + numberFr.format(b[1]);
      legendItem(legend, "", colourOf(bounds, i), label);
    });
    legendItem(legend, "swatch-secret", null, "secret statistique ou pas de donnée");
    placeBefore(figure, legend);

    var map = L.map(box, {
      zoomControl: false, attributionControl: false, keyboard: false, dragging: false,
      scrollWheelZoom: false, doubleClickZoom: false, touchZoom: false, boxZoom: false, zoomSnap: 0.1,
      fadeAnimation: !reduced, zoomAnimation: !reduced, markerZoomAnimation: !reduced
    }).setView([46.1, 5.35], 8);
    var patternId = figure.id + "-hachures";
    fetch(figure.getAttribute("data-outlines"))
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (geojson) {
        if (!geojson) { return; }
        var layer = L.geoJSON(geojson, {
          style: function (feature) {
            var row = byCode[feature.properties.code];
            var known = row && row.value !== null && !isNaN(row.value);
            return {
              color: OUTLINE, weight: 1, fillOpacity: 1,
              fillColor: known ? colourOf(bounds, classOf(bounds, row.value)) : "url(#" + patternId + ")"
            };
          },
          onEachFeature: function (feature, layer) {
            var row = byCode[feature.properties.code];
            layer.bindTooltip(feature.properties.name + " : " + (row ? row.text : "pas de donnée"), { sticky: true });
          }
        }).addTo(map);
        hatch(map, patternId);
        map.fitBounds(layer.getBounds(), { animate: false, padding: [8, 8] });
        figure.setAttribute("data-drawn", "");
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll("figure.chart-figure[data-chart]"), function (figure) {
    var data = read(figure);
    if (figure.getAttribute("data-chart") === "choropleth") { drawMap(figure, data); } else { drawChart(figure, data); }
  });
})();
