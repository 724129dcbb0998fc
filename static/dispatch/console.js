// Draws the plan's routes on a Leaflet map. Routes and stops are vectors, so they show even when tiles cannot load.
(function () {
  "use strict";
  // "Mark lost" asks first; a listener, as the page's policy runs no inline handler.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  var el = document.getElementById("dc-map");
  if (!el || typeof L === "undefined") { return; }

  var map = L.map(el, { zoomControl: true, attributionControl: true });
  var tiles = L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution });
  var tileErrors = 0;
  tiles.on("tileerror", function () {
    tileErrors += 1;
    if (tileErrors === 1) {
      var note = L.control({ position: "bottomleft" });
      note.onAdd = function () {
        var div = L.DomUtil.create("div", "dc-map-note");
        div.textContent = el.dataset.labelNoTiles;
        return div;
      };
      note.addTo(map);
    }
  });
  tiles.addTo(map);
  map.setView([48.8566, 2.3522], 12);

  function text(value) { return String(value).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("map data: HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var bounds = [];
      var depot = [data.depot.lat, data.depot.lng];
      bounds.push(depot);
      data.routes.forEach(function (route) {
        var line = [depot];
        route.stops.forEach(function (stop) { line.push([stop.lat, stop.lng]); });
        if (!route.lost) { line.push(depot); }
        L.polyline(line, { color: route.colour, weight: 3, opacity: route.lost ? 0.35 : 0.85,
                           dashArray: route.lost ? "6 6" : null })
          .bindTooltip(text(route.vehicle), { sticky: true }).addTo(map);
        route.stops.forEach(function (stop) {
          var done = stop.status === "done" || stop.status === "failed";
          L.circleMarker([stop.lat, stop.lng], {
            radius: 5, weight: stop.late ? 3 : 1.5, color: stop.late ? "#c5221f" : "#ffffff",
            fillColor: route.colour, fillOpacity: done ? 0.4 : 0.95
          }).bindPopup(
            "<strong>" + text(stop.name) + "</strong><br>" + text(route.vehicle) + " · #" + stop.sequence +
            "<br>" + text(el.dataset.labelWindow) + " " + text(stop.window) +
            "<br>" + text(el.dataset.labelArrival) + " " + text(stop.arrival) +
            (stop.late ? " <strong class=\"dc-popup-late\">" + text(el.dataset.labelLate) + "</strong>" : "") + "<br>" + text(stop.status)
          ).addTo(map);
          bounds.push([stop.lat, stop.lng]);
        });
      });
      data.unassigned.forEach(function (job) {
        L.circleMarker([job.lat, job.lng], { radius: 6, weight: 2, color: "#5b6577", fillColor: "#ffffff", fillOpacity: 1, dashArray: "2 2" })
          .bindPopup("<strong>" + text(job.name) + "</strong><br>Unassigned: " + text(job.reason)).addTo(map);
        bounds.push([job.lat, job.lng]);
      });
      L.marker(depot, { icon: L.divIcon({ className: "dc-marker-depot", html: "D", iconSize: [22, 22] }), zIndexOffset: 1000 })
        .bindTooltip(text(data.depot.name)).addTo(map);
      if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24] }); }
      el.dataset.ready = "true";
    })
    .catch(function (error) {
      el.dataset.ready = "error";
      if (window.console) { window.console.error(error); }
    });
}());
