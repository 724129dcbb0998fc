/* Live tracking: a websocket pushes ETA and milestone updates; reconnects with backoff and jitter,
   and polls the JSON status while the socket is down. The page works without this script. */
(function () {
  "use strict";
  var root = document.getElementById("tracking");
  if (!root) { return; }
  var statusUrl = root.dataset.statusUrl;
  var wsPath = root.dataset.wsPath;
  var socket = null, attempts = 0, pollTimer = null;
  var POLL_MS = 20000, MAX_BACKOFF_MS = 30000;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function setText(name, value) { var el = field(name); if (el && el.textContent !== value) { el.textContent = value; } }

  function stopsAwayLabel(n) {
    if (n === null || n === undefined) { return ""; }
    if (n === 0) { return root.dataset.next; }
    var template = n === 1 ? root.dataset.stopsOne : root.dataset.stopsMany;
    return template.replace(/\d+/, String(n));
  }

  /* The trip map, drawn here rather than by a map library (the page stays small): Web-Mercator tiles as <img>
     elements under one SVG of the way, the van (a round badge) and the customer's area (a pin). When there is
     no tile URL, a tile fails, or none has loaded in time, the same SVG lies on a drawn street grid instead. */
  var TILE = 256, MIN_ZOOM = 3, MAX_ZOOM = 16, PAD = 36, TILE_PATIENCE_MS = 4000;
  var EARTH_M = 40075016.686, APPROXIMATE_M = 700, SCALE_MAX_PX = 90;
  var trip = null;

  function mapPart(name) { return trip.el.querySelector(".trk-map-" + name); }

  function project(lat, lng, zoom) {
    var size = TILE * Math.pow(2, zoom);
    var sin = Math.max(-0.9999, Math.min(0.9999, Math.sin(lat * Math.PI / 180)));
    return { x: (lng + 180) / 360 * size, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size };
  }

  function metresPerPixel(lat, zoom) { return EARTH_M * Math.cos(lat * Math.PI / 180) / (TILE * Math.pow(2, zoom)); }

  // The closest zoom (fractional: the drawing fits snugly) at which every point fits inside the padded box,
  // and the view's top-left in world pixels at that zoom.
  function fitView(points, width, height) {
    var min = { x: Infinity, y: Infinity }, max = { x: -Infinity, y: -Infinity };
    points.forEach(function (p) {
      var at = project(p[0], p[1], 0);
      min.x = Math.min(min.x, at.x); min.y = Math.min(min.y, at.y);
      max.x = Math.max(max.x, at.x); max.y = Math.max(max.y, at.y);
    });
    var fits = Math.min((width - 2 * PAD) / Math.max(max.x - min.x, 1e-9), (height - 2 * PAD) / Math.max(max.y - min.y, 1e-9));
    var zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, Math.floor(Math.log(fits) / Math.LN2 * 4) / 4));
    var scale = Math.pow(2, zoom);
    return { zoom: zoom, left: Math.round((min.x + max.x) / 2 * scale - width / 2),
             top: Math.round((min.y + max.y) / 2 * scale - height / 2) };
  }

  function tileUrl(zoom, x, y) {
    return trip.tileUrl.replace("{z}", zoom).replace("{x}", x).replace("{y}", y)
      .replace("{s}", "abc".charAt(Math.abs(x + y) % 3)).replace("{r}", "");
  }

  function useDrawnMap() {
    if (trip.drawn) { return; }
    trip.drawn = true;
    window.clearTimeout(trip.patience);
    trip.tiles = {};
    mapPart("tiles").textContent = "";
    mapPart("attribution").hidden = true;
    trip.el.classList.add("trk-map--drawn");
  }

  function addTile(url) {
    var img = document.createElement("img");
    img.className = "trk-map-tile"; img.alt = ""; img.draggable = false;
    img.onload = function () { trip.loaded += 1; mapPart("attribution").hidden = trip.drawn; };
    img.onerror = useDrawnMap;  // one missing tile would leave a hole: the drawn map has none
    img.src = url;
    mapPart("tiles").appendChild(img);
    return img;
  }

  // Tiles of the nearest whole zoom, scaled to the view's; those already shown are moved, not fetched again,
  // and those out of view are dropped.
  function placeTiles(view, width, height) {
    var zoom = Math.round(view.zoom), count = Math.pow(2, zoom), wanted = {};
    var size = TILE * Math.pow(2, view.zoom - zoom);
    for (var ty = Math.floor(view.top / size); ty * size < view.top + height; ty++) {
      if (ty < 0 || ty >= count) { continue; }
      for (var tx = Math.floor(view.left / size); tx * size < view.left + width; tx++) {
        var key = zoom + "/" + tx + "/" + ty;
        var img = trip.tiles[key] || addTile(tileUrl(zoom, ((tx % count) + count) % count, ty));
        img.style.left = Math.round(tx * size - view.left) + "px";
        img.style.top = Math.round(ty * size - view.top) + "px";
        img.style.width = img.style.height = Math.ceil(size) + "px";
        wanted[key] = img;
      }
    }
    Object.keys(trip.tiles).forEach(function (key) {
      if (!wanted[key]) { trip.tiles[key].remove(); }
    });
    trip.tiles = wanted;
  }

  function placeScale(lat, zoom) {
    var perPx = metresPerPixel(lat, zoom), most = perPx * SCALE_MAX_PX;
    var step = Math.pow(10, Math.floor(Math.log(most) / Math.LN10));
    var metres = most >= 5 * step ? 5 * step : most >= 2 * step ? 2 * step : step;
    mapPart("scale-bar").style.width = Math.round(metres / perPx) + "px";
    mapPart("scale-label").textContent = metres >= 1000 ? (metres / 1000) + " km" : metres + " m";
  }

  function mapLabel(stopsAway, approximate) {
    var data = trip.el.dataset, label;
    if (stopsAway === null || stopsAway === undefined) { label = trip.label; } else if (stopsAway === 0) { label = data.labelNext; } else {
      label = (stopsAway === 1 ? data.labelOne : data.labelMany).replace(/\d+/, String(stopsAway));
    }
    return approximate ? label + " " + data.labelApproximate : label;
  }

  function drawTrip(map, stopsAway) {
    var el = trip.el;
    el.hidden = false;
    var width = el.clientWidth, height = el.clientHeight;
    var points = map.path.slice();
    if (map.van) {
      points.push([map.van.lat, map.van.lng]);
      if (!map.precise) {  // room for the whole halo of where the van may be
        var dLat = APPROXIMATE_M / 111320, dLng = dLat / Math.cos(map.van.lat * Math.PI / 180);
        points.push([map.van.lat - dLat, map.van.lng - dLng], [map.van.lat + dLat, map.van.lng + dLng]);
      }
    }
    points.push([map.destination.lat, map.destination.lng]);
    var view = fitView(points, width, height);
    function at(lat, lng) {
      var p = project(lat, lng, view.zoom);
      return { x: Math.round(p.x - view.left), y: Math.round(p.y - view.top) };
    }
    if (!trip.drawn) { placeTiles(view, width, height); }
    var svg = mapPart("drawing");
    svg.setAttribute("width", width); svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    el.querySelector("pattern").setAttribute("patternTransform",
      "translate(" + (-view.left % 120) + " " + (-view.top % 120) + ")");
    var line = map.path.map(function (p) { var xy = at(p[0], p[1]); return xy.x + "," + xy.y; }).join(" ");
    mapPart("path").setAttribute("points", line);
    mapPart("path-casing").setAttribute("points", line);
    var home = at(map.destination.lat, map.destination.lng);
    mapPart("home").setAttribute("transform", "translate(" + home.x + " " + home.y + ")");
    var van = mapPart("van");
    if (map.van) {
      var v = at(map.van.lat, map.van.lng);
      van.setAttribute("transform", "translate(" + v.x + " " + v.y + ")");
      van.removeAttribute("visibility");
      var halo = map.precise ? 0 : APPROXIMATE_M / metresPerPixel(map.van.lat, view.zoom);
      mapPart("halo").setAttribute("r", Math.round(Math.max(halo ? 18 : 0, Math.min(halo, 60))));
    } else {
      van.setAttribute("visibility", "hidden");
    }
    placeScale(map.destination.lat, view.zoom);
    el.setAttribute("aria-label", mapLabel(stopsAway, Boolean(map.van) && !map.precise));
  }

  function showTrip(eta) {
    var el = document.getElementById("trk-map");
    if (!el) { return; }
    if (!eta || !eta.map) { el.hidden = true; if (trip) { trip.last = null; } return; }
    if (!trip) {
      trip = { el: el, label: el.getAttribute("aria-label"), tileUrl: el.dataset.tileUrl || "", tiles: {}, loaded: 0,
               drawn: false, patience: null, last: null };
      if (!trip.tileUrl) { useDrawnMap(); } else {
        trip.patience = window.setTimeout(function () { if (!trip.loaded) { useDrawnMap(); } }, TILE_PATIENCE_MS);
      }
    }
    trip.last = eta;
    drawTrip(eta.map, eta.stops_away);
  }

  // The "running late" notice follows every estimate; other notices (late delivery, missed you) come with the page.
  function applyLate(label) {
    var block = field("timing-block");
    if (!block || (block.dataset.kind && block.dataset.kind !== "running_late")) { return; }
    block.hidden = !label;
    block.dataset.kind = label ? "running_late" : "";
    if (label) { setText("timing_title", root.dataset.lateTitle); setText("timing_message", label); }
    // Late on the van: the customer may move the parcel to another time (the server agrees from this estimate on).
    var move = field("timing_reschedule");
    if (move) { move.hidden = !label; }
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    if (resizing || !trip || !trip.last) { return; }
    resizing = window.setTimeout(function () { resizing = null; if (trip.last) { showTrip(trip.last); } }, 150);
  });

  function applyEta(eta) {
    var block = field("eta-block");
    applyLate(eta ? eta.late_label : "");
    if (!eta) { if (block) { block.hidden = true; } showTrip(null); return; }
    if (block) { block.hidden = false; }
    setText("eta_label", eta.eta_label);
    setText("band_label", eta.band_label);
    setText("stops_away_label", eta.stops_away_label || stopsAwayLabel(eta.stops_away));
    showTrip(eta);
  }

  function applyTimeline(steps) {
    var list = field("timeline");
    if (!list || !steps) { return; }
    list.textContent = "";
    steps.forEach(function (step) {
      var li = document.createElement("li");
      if (step.done) { li.classList.add("done"); }
      if (step.current) { li.classList.add("current"); li.setAttribute("aria-current", "step"); }
      var dot = document.createElement("span"); dot.className = "trk-dot"; dot.setAttribute("aria-hidden", "true");
      var label = document.createElement("span"); label.className = "trk-step"; label.textContent = step.label;
      li.appendChild(dot); li.appendChild(label);
      if (step.at_label) { var t = document.createElement("time"); t.dateTime = step.at; t.textContent = step.at_label; li.appendChild(t); }
      list.appendChild(li);
    });
  }

  function applyStatus(status) {
    var before = root.dataset.state;
    root.dataset.state = status.status;
    setText("status_label", status.status_label);
    setText("driver_first_name", status.driver_first_name || "");
    var driver = field("driver-block"); if (driver) { driver.hidden = !status.driver_first_name; }
    applyTimeline(status.timeline);
    applyEta(status.eta);
    // Forms (proof, rating, instructions) change with the status: the server renders them.
    if (before && before !== status.status && (status.status === "delivered" || status.status === "attempted" || status.status === "returned")) {
      window.location.reload();
    }
  }

  function setLive(live) {
    var badge = field("live");
    if (!badge) { return; }
    badge.hidden = false;
    badge.textContent = live ? root.dataset.live : root.dataset.offline;
    badge.classList.toggle("offline", !live);
  }

  function poll() {
    return fetch(statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) { if (status) { applyStatus(status); } })
      .catch(function () { /* offline: the next poll or reconnect will catch up */ });
  }

  function startPolling() { if (!pollTimer) { pollTimer = window.setInterval(poll, POLL_MS); } }
  function stopPolling() { if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; } }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.onopen = function () { attempts = 0; stopPolling(); setLive(true); poll(); };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.kind === "eta") { applyEta(data); } else if (data.kind === "status") { applyStatus(data); }
    };
    socket.onclose = function (event) {
      setLive(false);
      if (event.code === 4404) { return; }  // the link no longer works: nothing to wait for
      startPolling();
      attempts += 1;
      var backoff = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts - 1));
      window.setTimeout(connect, backoff / 2 + Math.random() * backoff / 2);  // jitter spreads reconnect storms
    };
  }

  root.dataset.state = "";
  var initial = document.getElementById("trk-eta");
  if (initial) { try { showTrip(JSON.parse(initial.textContent)); } catch (e) { /* the first poll draws it */ } }
  window.addEventListener("load", function () { poll(); connect(); });
})();
