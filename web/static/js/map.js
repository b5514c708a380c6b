/* The maps of offers and of training centres: the Ain's commune outlines shipped with Passerelle (works offline), offers as
   markers, background tiles only when the deployment configures a tile server. */
(function () {
  "use strict";
  var el = document.getElementById("carte");
  if (!el || typeof L === "undefined") { return; }

  var map = L.map(el, { scrollWheelZoom: false }).setView([46.1, 5.35], 9);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution || "" }).addTo(map);
  }

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.responseType = "json";
    xhr.onload = function () { if (xhr.status === 200 && xhr.response) { done(xhr.response); } };
    xhr.send();
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  getJSON(el.dataset.outlines, function (geojson) {
    var layer = L.geoJSON(geojson, {
      style: { color: "#5b6b7c", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6 },
      interactive: false
    }).addTo(map);
    layer.bringToBack();
    if (geojson.features && geojson.features.length) { map.fitBounds(layer.getBounds()); }
  });

  // data-offers: the offers' points; data-points: other places (training centres) whose
  // features carry their popup as a title and lines.
  function popup(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.title || p.metier;
    box.appendChild(link);
    var lines = p.lines || [
      p.employer + ", " + p.commune,
      p.places + " place(s)" + (p.housing ? " · logement proposé" : "")
    ];
    lines.forEach(function (line) {
      box.appendChild(document.createElement("br"));
      box.appendChild(text(line));
    });
    return box;
  }

  getJSON(el.dataset.offers || el.dataset.points, function (geojson) {
    L.geoJSON(geojson, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 8, color: "#0c3358", weight: 2, fillColor: "#134a7c", fillOpacity: 0.85
        });
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(popup(feature.properties)); }
    }).addTo(map);
  });
})();
