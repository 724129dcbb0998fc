/*
 * <delivery-window-picker> — the embeddable delivery-window picker.
 *
 *   <script src="https://portal.example/static/scheduling/picker.js"></script>
 *   <delivery-window-picker api-key="pk_…" lat="48.86" lng="2.35" lang="fr"
 *       api-base="https://portal.example"></delivery-window-picker>
 *
 * Attributes: api-key (publishable key), lat + lng or postcode, lang (en, fr), api-base
 * (the portal's origin; empty = same origin), days (1–14, default 7), size, skills,
 * mode="iframe" (inside /embed/windows/: also tells the parent page by postMessage),
 * parent-origins (iframe mode: space-separated origins allowed to receive messages).
 *
 * Keyboard: Tab into the list, arrow keys move between windows, Enter or Space holds
 * the focused window. When a hold is made the element emits `window-held`
 * (bubbling, composed) with detail { hold: {id, expires_at}, window: {...} }.
 */
(function () {
  "use strict";
  if (window.customElements && window.customElements.get("delivery-window-picker")) return;

  var TEXT = {
    en: {
      title: "Choose a delivery window", loading: "Loading delivery windows…", none: "No delivery window is available for this address.",
      error: "Delivery windows could not be loaded.", retry: "Try again", left: function (n) { return "only " + n + " left"; },
      // One label per window refusal reason the API gives (dispatch.refusals, scheduling.windows.OFFER_REASONS).
      reasons: { full: "Full", cutoff_passed: "Closed", outside_area: "Not delivered here", skill_unavailable: "Not available for this order" },
      holding: "Holding…", held: "Held", hint: "Use the arrow keys to choose, Enter to reserve.", free: "Free",
      labels: { standard: "Standard", evening: "Evening", weekend: "Weekend", premium: "Premium" },
      holdFailed: "This window could not be held. Please choose another one.",
    },
    fr: {
      title: "Choisissez un créneau de livraison", loading: "Chargement des créneaux…", none: "Aucun créneau n’est disponible pour cette adresse.",
      error: "Les créneaux n’ont pas pu être chargés.", retry: "Réessayer", left: function (n) { return n > 1 ? "plus que " + n + " places" : "plus qu’une place"; },
      reasons: { full: "Complet", cutoff_passed: "Fermé", outside_area: "Hors zone", skill_unavailable: "Indisponible pour cette commande" },
      holding: "Réservation…", held: "Réservé", hint: "Flèches pour choisir, Entrée pour réserver.", free: "Gratuit",
      labels: { standard: "Standard", evening: "Soirée", weekend: "Week-end", premium: "Premium" },
      holdFailed: "Ce créneau n’a pas pu être réservé. Choisissez-en un autre.",
    },
  };

  var STYLE = [
    ":host { display: block; --brand: #1a73e8; --accent: #0b3d91; --ink: #1d2330; --muted: #5b6577; --line: #dfe3ea;",
    "  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: var(--ink); }",
    ".title { font-weight: 700; margin: 0 0 .25rem; font-size: 1rem; }",
    ".hint { color: var(--muted); font-size: .85rem; margin: 0 0 .5rem; }",
    ".day { margin: .75rem 0 .35rem; font-size: .9rem; font-weight: 700; color: var(--muted); }",
    ".day::first-letter { text-transform: uppercase; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".slots { display: grid; gap: .4rem; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }",
    ".slot { position: relative; text-align: left; border: 1px solid var(--line); border-radius: 8px; background: #fff; padding: .55rem .7rem;",
    "  cursor: pointer; font: inherit; color: inherit; min-height: 44px; }",
    ".slot:hover { border-color: var(--brand); }",
    ".slot:focus-visible { outline: 3px solid var(--brand); outline-offset: 2px; }",
    ".slot[aria-checked='true'] { border-color: var(--brand); box-shadow: inset 0 0 0 2px var(--brand); background: color-mix(in srgb, var(--brand) 8%, #fff); }",
    ".slot[aria-disabled='true'] { cursor: not-allowed; color: var(--muted); background: #f3f4f6; border-style: dashed; }",
    ".time { display: block; font-weight: 700; font-variant-numeric: tabular-nums; }",
    ".meta { display: flex; flex-wrap: wrap; gap: .3rem; margin-top: .2rem; font-size: .8rem; }",
    ".label { color: var(--accent); font-weight: 600; }",
    ".price { color: var(--muted); }",
    ".left { color: #b06000; font-weight: 600; }",
    ".status { font-size: .8rem; font-weight: 700; color: var(--brand); }",
    ".message { padding: .6rem .8rem; border-radius: 6px; background: #f3f4f6; }",
    ".message.bad { background: #fce8e6; color: #c5221f; }",
    "button.retry { margin-left: .5rem; font: inherit; }",
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class DeliveryWindowPicker extends HTMLElement {
    static get observedAttributes() { return ["api-key", "lat", "lng", "postcode", "lang", "days", "size", "skills"]; }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.windows = [];
      this.selectedId = null;
      this.heldId = null;
    }

    connectedCallback() { this.load(); }

    attributeChangedCallback(name, oldValue, newValue) {
      if (this.isConnected && oldValue !== null && oldValue !== newValue) this.load();
    }

    get t() {
      var lang = (this.getAttribute("lang") || document.documentElement.lang || "en").slice(0, 2);
      return TEXT[lang] || TEXT.en;
    }

    get locale() { return this.t === TEXT.fr ? "fr-FR" : "en-GB"; }

    apiUrl(path) { return (this.getAttribute("api-base") || "").replace(/\/$/, "") + "/api/v1/" + path; }

    headers() {
      return { "X-Api-Key": this.getAttribute("api-key") || "", "Content-Type": "application/json",
               "Accept-Language": this.t === TEXT.fr ? "fr" : "en" };
    }

    load() {
      var params = new URLSearchParams();
      var lat = this.getAttribute("lat"), lng = this.getAttribute("lng"), postcode = this.getAttribute("postcode");
      if (lat && lng) { params.set("lat", lat); params.set("lng", lng); } else if (postcode) { params.set("postcode", postcode); }
      params.set("days", this.getAttribute("days") || "7");
      ["size", "skills"].forEach(function (name) { var v = this.getAttribute(name); if (v) params.set(name, v); }, this);
      this.renderMessage(this.t.loading);
      var self = this;
      fetch(this.apiUrl("windows/?" + params.toString()), { headers: this.headers(), credentials: "omit" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error((res.body.error && res.body.error.message) || "error");
          self.applyBrand(res.body.brand);
          self.windows = res.body.windows || [];
          self.render();
        })
        .catch(function (err) { self.renderMessage(self.t.error + " " + (err.message || ""), true); });
    }

    applyBrand(brand) {
      if (!brand) return;
      this.style.setProperty("--brand", brand.primary_colour);
      this.style.setProperty("--accent", brand.accent_colour);
    }

    renderMessage(text, bad) {
      this.root.innerHTML = "";
      this.root.appendChild(el("style", {}, STYLE));
      var box = el("p", { class: "message" + (bad ? " bad" : ""), role: bad ? "alert" : "status" }, text);
      if (bad) {
        var retry = el("button", { type: "button", class: "retry" }, this.t.retry);
        retry.addEventListener("click", this.load.bind(this));
        box.appendChild(retry);
      }
      this.root.appendChild(box);
      this.notifyHeight();
    }

    dayLabel(isoDate) {
      var d = new Date(isoDate + "T12:00:00Z");
      return d.toLocaleDateString(this.locale, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
    }

    priceLabel(price) {
      if (Number(price.amount) === 0) return this.t.free;
      try { return new Intl.NumberFormat(this.locale, { style: "currency", currency: price.currency }).format(Number(price.amount)); }
      catch (e) { return price.amount + " " + price.currency; }
    }

    describe(w) {
      // Times carry the merchant's offset: the wall-clock part is what the shopper reads.
      return { id: w.id, start: w.start, end: w.end, label: w.label, price: w.price,
               day: this.dayLabel(w.start.slice(0, 10)), time: w.start.slice(11, 16) + "–" + w.end.slice(11, 16) };
    }

    render() {
      var t = this.t, self = this;
      this.root.innerHTML = "";
      this.root.appendChild(el("style", {}, STYLE));
      var titleId = "dwp-title";
      this.root.appendChild(el("p", { class: "title", id: titleId }, t.title));
      this.root.appendChild(el("p", { class: "hint" }, t.hint));
      if (!this.windows.some(function (w) { return w.available; })) {
        this.root.appendChild(el("p", { class: "message", role: "status" }, t.none));
        this.notifyHeight();
        return;
      }
      var group = el("div", { role: "radiogroup", "aria-labelledby": titleId, class: "group" });
      var byDay = {};
      var order = [];
      this.windows.forEach(function (w) {
        var day = w.start.slice(0, 10);
        if (!byDay[day]) { byDay[day] = []; order.push(day); }
        byDay[day].push(w);
      });
      var firstAvailable = null;
      order.forEach(function (day) {
        var dayId = "day-" + day;
        group.appendChild(el("p", { class: "day", id: dayId }, self.dayLabel(day)));
        var slots = el("div", { class: "slots", role: "presentation" });
        byDay[day].forEach(function (w) {
          var d = self.describe(w);
          var slot = el("div", {
            role: "radio", class: "slot", "data-window-id": String(w.id), tabindex: "-1",
            "aria-checked": String(self.selectedId === w.id), "aria-disabled": String(!w.available),
            "aria-describedby": dayId,
          });
          slot.appendChild(el("span", { class: "time" }, d.time));
          var meta = el("span", { class: "meta" });
          meta.appendChild(el("span", { class: "label" }, t.labels[w.label] || w.label));
          meta.appendChild(el("span", { class: "price" }, self.priceLabel(w.price)));
          if (!w.available) meta.appendChild(el("span", { class: "reason" }, t.reasons[w.reason] || t.reasons.full));
          else if (w.remaining <= 3) meta.appendChild(el("span", { class: "left" }, t.left(w.remaining)));
          if (self.heldId === w.id) meta.appendChild(el("span", { class: "status" }, "✓ " + t.held));
          slot.appendChild(meta);
          slot.addEventListener("click", function () { if (w.available) { self.select(w.id, true); self.hold(w); } });
          slots.appendChild(slot);
          if (w.available && firstAvailable === null) firstAvailable = w.id;
        });
        group.appendChild(slots);
      });
      group.addEventListener("keydown", this.onKey.bind(this));
      if (this.failMessage) {
        this.root.appendChild(el("p", { class: "message bad", role: "alert" }, this.failMessage));
        this.failMessage = null;
      }
      this.root.appendChild(group);
      this.liveRegion = el("p", { class: "sr-only", role: "status", "aria-live": "polite" });
      this.root.appendChild(this.liveRegion);
      var tabbable = this.selectedId !== null ? this.selectedId : firstAvailable;
      var node = this.slotFor(tabbable);
      if (node) node.setAttribute("tabindex", "0");
      this.notifyHeight();
    }

    slotFor(id) { return id === null ? null : this.root.querySelector('[data-window-id="' + id + '"]'); }

    enabledSlots() { return Array.prototype.slice.call(this.root.querySelectorAll('.slot[aria-disabled="false"]')); }

    select(id, focus) {
      this.selectedId = id;
      this.root.querySelectorAll(".slot").forEach(function (s) {
        var on = s.getAttribute("data-window-id") === String(id);
        s.setAttribute("aria-checked", String(on));
        s.setAttribute("tabindex", on ? "0" : "-1");
      });
      var node = this.slotFor(id);
      if (node && focus) node.focus();
    }

    onKey(event) {
      var slots = this.enabledSlots();
      var current = slots.indexOf(this.root.activeElement);
      if (current < 0) return;
      var next = null;
      if (event.key === "ArrowDown" || event.key === "ArrowRight") next = (current + 1) % slots.length;
      else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = (current - 1 + slots.length) % slots.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = slots.length - 1;
      else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        var id = Number(slots[current].getAttribute("data-window-id"));
        var w = this.windows.find(function (x) { return x.id === id; });
        this.select(id, true);
        this.hold(w);
        return;
      }
      if (next === null) return;
      event.preventDefault();
      this.select(Number(slots[next].getAttribute("data-window-id")), true);
    }

    hold(w) {
      var self = this, t = this.t;
      if (this.holding) return;
      this.holding = true;
      if (this.liveRegion) this.liveRegion.textContent = t.holding;
      var body = { window_id: w.id, size: this.getAttribute("size") || "small" };
      var lat = this.getAttribute("lat"), lng = this.getAttribute("lng");
      if (lat && lng) { body.lat = Number(lat); body.lng = Number(lng); }
      var skills = this.getAttribute("skills");
      if (skills) body.skills = skills.split(",");
      fetch(this.apiUrl("holds/"), { method: "POST", headers: this.headers(), body: JSON.stringify(body), credentials: "omit" })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          self.holding = false;
          if (!res.ok) {
            self.failMessage = t.holdFailed;
            self.load();
            return;
          }
          self.heldId = w.id;
          var detail = { hold: { id: res.body.id, expires_at: res.body.expires_at }, window: self.describe(w) };
          self.render();
          self.select(w.id, true);
          if (self.liveRegion) self.liveRegion.textContent = t.held + " · " + detail.window.day + " " + detail.window.time;
          self.dispatchEvent(new CustomEvent("window-held", { detail: detail, bubbles: true, composed: true }));
          self.tellParent({ type: "window-held", hold: detail.hold, window: detail.window });
        })
        .catch(function () {
          self.holding = false;
          if (self.liveRegion) self.liveRegion.textContent = t.holdFailed;
        });
    }

    tellParent(message) {
      if (this.getAttribute("mode") !== "iframe" || window.parent === window) return;
      // Only the merchant's registered origins may receive the hold; other targets drop the message.
      (this.getAttribute("parent-origins") || "").split(/\s+/).filter(Boolean).forEach(function (origin) {
        window.parent.postMessage(message, origin);
      });
    }

    notifyHeight() {
      var self = this;
      window.requestAnimationFrame(function () {
        self.tellParent({ type: "window-picker-height", height: document.documentElement.scrollHeight });
      });
    }
  }

  window.customElements.define("delivery-window-picker", DeliveryWindowPicker);
})();
