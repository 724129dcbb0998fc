/* Live tracking: a websocket pushes ETA and milestone updates; reconnects with backoff and jitter,
   and polls the JSON status while the socket is down. The page works without this script. */
(function () {
  "use strict";
  var root = document.getElementById("tracking");
  if (!root) { return; }
  var statusUrl = root.dataset.statusUrl;
  var wsPath = root.dataset.wsPath;
  var socket = null, attempts = 0, pollTimer = null, map = null, marker = null;
  var POLL_MS = 20000, MAX_BACKOFF_MS = 30000;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function setText(name, value) { var el = field(name); if (el && el.textContent !== value) { el.textContent = value; } }

  function stopsAwayLabel(n) {
    if (n === null || n === undefined) { return ""; }
    if (n === 0) { return root.dataset.next; }
    var template = n === 1 ? root.dataset.stopsOne : root.dataset.stopsMany;
    return template.replace(/\d+/, String(n));
  }

  function showVehicle(vehicle) {
    var el = document.getElementById("trk-map");
    if (!el) { return; }
    if (!vehicle || !window.L) { el.hidden = true; return; }
    el.hidden = false;
    var at = [vehicle.lat, vehicle.lng];
    if (!map) {
      map = window.L.map(el, { zoomControl: false, attributionControl: true }).setView(at, 15);
      window.L.tileLayer(root.dataset.tileUrl, { attribution: root.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
      marker = window.L.circleMarker(at, { radius: 9, color: "#fff", weight: 3, fillColor: getComputedStyle(document.documentElement).getPropertyValue("--brand"), fillOpacity: 1 }).addTo(map);
    } else {
      marker.setLatLng(at);
      map.panTo(at);
    }
  }

  // The "running late" notice follows every estimate; other notices (late delivery, missed you) come with the page.
  function applyLate(label) {
    var block = field("timing-block");
    if (!block || (block.dataset.kind && block.dataset.kind !== "running_late")) { return; }
    block.hidden = !label;
    block.dataset.kind = label ? "running_late" : "";
    if (label) { setText("timing_title", root.dataset.lateTitle); setText("timing_message", label); }
  }

  function applyEta(eta) {
    var block = field("eta-block");
    applyLate(eta ? eta.late_label : "");
    if (!eta) { if (block) { block.hidden = true; } showVehicle(null); return; }
    if (block) { block.hidden = false; }
    setText("eta_label", eta.eta_label);
    setText("band_label", eta.band_label);
    setText("stops_away_label", eta.stops_away_label || stopsAwayLabel(eta.stops_away));
    showVehicle(eta.vehicle);
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
  window.addEventListener("load", function () { poll(); connect(); });
})();
