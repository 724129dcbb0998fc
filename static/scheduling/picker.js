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
 * The embedding guide (/docs/embed/) documents them, with the events below.
 *
 * One day shows at a time: the days are tabs (arrow keys move between them), each day's
 * windows a radio group (arrow keys move, Enter or Space holds the focused window).
 *
 * Events (bubbling, composed):
 *   window-held          detail { hold: {id, expires_at}, window: {id, start, end, label, price, cutoff,
 *                                 day, time, price_label} }
 *   window-picker-error  detail { code, message }: code is origin_not_registered, unknown_key,
 *                        network, outside_area or error.
 *
 * Theming: --dwp-brand and --dwp-accent (set on the element or an ancestor) override the merchant's
 * colours from the API, --dwp-font and --dwp-radius the font and corners; text on the colours is
 * chosen here for WCAG AA contrast by the rule of core/contrast.py. The names are prefixed so a
 * shop's own --brand never leaks in.
 * Prices and cut-offs read as scheduling/labels.py writes them on the portal's pages.
 */
(function () {
  "use strict";
  if (window.customElements && window.customElements.get("delivery-window-picker")) return;

  var TEXT = {
    en: {
      title: "Choose a delivery window", loading: "Loading delivery windows…", none: "No delivery window is available for this address.",
      error: "Delivery windows could not be loaded.", retry: "Try again", days: "Delivery days",
      network: "We could not reach the delivery service. Check your connection and try again.",
      outsideArea: "We do not deliver to this address.",
      left: function (n) { return "only " + n + " left"; },
      // One label per window refusal reason the API gives (dispatch.refusals, scheduling.windows.OFFER_REASONS).
      reasons: { full: "Full", cutoff_passed: "Closed", outside_area: "Not delivered here", skill_unavailable: "Not available for this order" },
      holding: "Holding…", held: "Held", hint: "Choose a day, then a window. Arrow keys move, Enter reserves.", free: "Free",
      noneDay: "No window is left on this day.", noneDayShort: "none left",
      labels: { standard: "Standard", evening: "Evening", weekend: "Weekend", premium: "Premium" },
      holdFailed: "This window could not be held. Please choose another one.",
      orderBy: function (time, daysBefore) {
        if (daysBefore <= 0) return "Order by " + time;
        if (daysBefore === 1) return "Order by " + time + " the day before";
        return "Order by " + time + ", " + daysBefore + " days before";
      },
    },
    fr: {
      title: "Choisissez un créneau de livraison", loading: "Chargement des créneaux…", none: "Aucun créneau n’est disponible pour cette adresse.",
      error: "Les créneaux n’ont pas pu être chargés.", retry: "Réessayer", days: "Jours de livraison",
      network: "Le service de livraison est injoignable. Vérifiez votre connexion et réessayez.",
      outsideArea: "Nous ne livrons pas à cette adresse.",
      left: function (n) { return n > 1 ? "plus que " + n + " places" : "plus qu’une place"; },
      reasons: { full: "Complet", cutoff_passed: "Fermé", outside_area: "Hors zone", skill_unavailable: "Indisponible pour cette commande" },
      holding: "Réservation…", held: "Réservé", hint: "Choisissez un jour, puis un créneau. Flèches pour vous déplacer, Entrée pour réserver.", free: "Gratuit",
      noneDay: "Plus aucun créneau ce jour-là.", noneDayShort: "complet",
      labels: { standard: "Standard", evening: "Soirée", weekend: "Week-end", premium: "Premium" },
      holdFailed: "Ce créneau n’a pas pu être réservé. Choisissez-en un autre.",
      orderBy: function (time, daysBefore) {
        if (daysBefore <= 0) return "Commandez avant " + time;
        if (daysBefore === 1) return "Commandez avant " + time + " la veille";
        return "Commandez avant " + time + ", " + daysBefore + " jours avant";
      },
    },
  };

  var STYLE = [
    ":host { display: block; color: #1d2330;",
    "  font-family: var(--dwp-font, system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif); }",
    // --b and --a are the colours in effect: the page's --dwp-brand/--dwp-accent when set, else the merchant's.
    ".picker { --b: var(--dwp-brand, var(--api-brand, #1a73e8)); --a: var(--dwp-accent, var(--api-accent, #0b3d91));",
    "  --ink: #1d2330; --muted: #5b6577; --line: #dfe3ea; --r: var(--dwp-radius, 8px); }",
    ".probe-b { color: var(--b); } .probe-a { color: var(--a); } .probe { display: none; }",
    ".title { font-weight: 700; margin: 0 0 .15rem; font-size: 1rem; }",
    ".hint { color: var(--muted); font-size: .85rem; margin: 0 0 .6rem; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".days { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(2.25rem, 1fr); gap: .25rem; overflow-x: auto;",
    "  padding: 2px 2px 4px; margin: 0 -2px .5rem; scrollbar-width: thin; }",
    ".day { font: inherit; color: var(--ink); background: #fff; border: 1px solid var(--line); border-radius: var(--r); padding: .3rem 0; min-width: 0;",
    "  cursor: pointer; display: flex; flex-direction: column; align-items: center; line-height: 1.15; min-height: 44px; }",
    ".day:hover { border-color: var(--b); }",
    ".day:focus-visible, .slot:focus-visible, .panel:focus-visible { outline: 3px solid var(--b); outline-offset: 2px; }",
    ".day .dow { font-size: .72rem; text-transform: uppercase; }",
    ".day .dom { font-size: 1.1rem; font-weight: 700; font-variant-numeric: tabular-nums; }",
    ".day .sub { font-size: .68rem; color: var(--muted); }",
    ".day[aria-selected='true'] { background: var(--b); border-color: var(--b); color: var(--b-ink, #fff); }",
    ".day[aria-selected='true'] .sub { color: inherit; }",
    ".panel[hidden] { display: none; }",
    ".day-title { margin: 0 0 .35rem; font-size: .9rem; font-weight: 700; color: var(--muted); }",
    ".day-title::first-letter { text-transform: uppercase; }",
    ".slots { display: grid; gap: .4rem; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); }",
    ".slot { position: relative; text-align: left; border: 1px solid var(--line); border-radius: var(--r); background: #fff; padding: .45rem .6rem;",
    "  cursor: pointer; min-height: 44px; }",
    ".slot:hover { border-color: var(--b); }",
    ".slot[aria-checked='true'] { border-color: var(--b); box-shadow: inset 0 0 0 2px var(--b); }",
    ".slot[aria-disabled='true'] { cursor: not-allowed; color: var(--muted); background: #f3f4f6; border-style: dashed; }",
    ".time { display: block; font-weight: 700; font-variant-numeric: tabular-nums; }",
    ".meta { display: flex; flex-wrap: wrap; align-items: center; gap: .15rem .4rem; margin-top: .15rem; font-size: .8rem; }",
    ".tier { border-radius: 999px; padding: 0 .45rem; font-weight: 600; font-size: .75rem; line-height: 1.5; background: var(--a); color: var(--a-ink, #fff); }",
    ".tier-standard { background: #eef1f5; color: #3c4657; }",
    ".price { font-weight: 600; color: var(--ink); font-variant-numeric: tabular-nums; }",
    ".slot[aria-disabled='true'] .price { color: var(--muted); font-weight: 400; }",
    ".order-by, .reason { display: block; width: 100%; color: var(--muted); font-size: .75rem; }",
    ".left { display: block; width: 100%; color: #b06000; font-weight: 600; font-size: .75rem; }",
    ".status { border-radius: 999px; padding: 0 .45rem; font-size: .75rem; font-weight: 700; background: var(--b); color: var(--b-ink, #fff); }",
    ".empty { color: var(--muted); margin: .25rem 0; }",
    ".message { padding: .6rem .8rem; border-radius: 6px; background: #f3f4f6; margin: 0 0 .5rem; line-height: 1.5; }",
    ".message p { margin: 0; }",
    ".message.bad { background: #fce8e6; color: #a50e0e; }",
    ".message .problem-title { font-weight: 700; }",
    ".message .problem-hint { margin-top: .35rem; font-size: .8rem; color: #5f2120; }",
    "button.retry { margin-top: .4rem; font: inherit; }",
  ].join("\n");

  var SYMBOLS = { EUR: "€", GBP: "£", USD: "$" };

  // The nonce this script was loaded with, if any: for browsers without constructed stylesheets.
  var NONCE = (document.currentScript && document.currentScript.nonce) || "";
  var SHEET = null;  // one constructed stylesheet, shared by every picker on the page

  /* The picker's styles in its shadow root. A constructed stylesheet is CSSOM, which a page's
     Content-Security-Policy leaves alone; a <style> element needs the page's nonce, and a shop may
     allow our script by its address without one. */
  function adoptStyle(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      if (!SHEET) { SHEET = new CSSStyleSheet(); SHEET.replaceSync(STYLE); }
      root.adoptedStyleSheets = [SHEET];
      return;
    }
    var style = el("style", {}, STYLE);
    if (NONCE) style.nonce = NONCE;
    root.appendChild(style);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // As scheduling/labels.py `money`: "€3.90" in English, "3,90 €" in French.
  function formatMoney(amount, currency, lang) {
    var parts = Math.abs(Number(amount)).toFixed(2).split(".");
    var symbol = SYMBOLS[currency] || currency;
    if (lang === "fr") return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f") + "," + parts[1] + "\u00a0" + symbol;
    return symbol + (/^[A-Za-z]+$/.test(symbol) ? "\u00a0" : "") + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }

  // WCAG 2 relative luminance and contrast, as core/contrast.py: white if it reaches 4.5:1, else dark ink, else black.
  function luminance(rgb) {
    var c = rgb.map(function (v) { v = v / 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function inkOn(rgb) {
    if (contrast([255, 255, 255], rgb) >= 4.5) return "#ffffff";
    if (contrast([17, 17, 17], rgb) >= 4.5) return "#111111";
    return "#000000";
  }
  function parseRgb(css) {
    var m = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(css || "");
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  }

  function dayDiff(laterIso, earlierIso) {
    var a = Date.UTC(+laterIso.slice(0, 4), +laterIso.slice(5, 7) - 1, +laterIso.slice(8, 10));
    var b = Date.UTC(+earlierIso.slice(0, 4), +earlierIso.slice(5, 7) - 1, +earlierIso.slice(8, 10));
    return Math.round((a - b) / 86400000);
  }

  var uid = 0;

  class DeliveryWindowPicker extends HTMLElement {
    static get observedAttributes() { return ["api-key", "lat", "lng", "postcode", "lang", "days", "size", "skills"]; }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.windows = [];
      this.selectedId = null;
      this.heldId = null;
      this.currentDay = null;
      this.brand = null;
      this.ids = "dwp" + (++uid);
    }

    connectedCallback() { this.load(); }

    attributeChangedCallback(name, oldValue, newValue) {
      if (this.isConnected && oldValue !== null && oldValue !== newValue) this.load();
    }

    get lang() {
      var lang = (this.getAttribute("lang") || document.documentElement.lang || "en").slice(0, 2);
      return TEXT[lang] ? lang : "en";
    }

    get t() { return TEXT[this.lang]; }

    get locale() { return this.lang === "fr" ? "fr-FR" : "en-GB"; }

    base() { return (this.getAttribute("api-base") || "").replace(/\/$/, ""); }

    apiUrl(path) { return this.base() + "/api/v1/" + path; }

    headers() {
      return { "X-Api-Key": this.getAttribute("api-key") || "", "Content-Type": "application/json", "Accept-Language": this.lang };
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
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, ok: r.ok, body: body }; });
        })
        .then(function (res) {
          if (res.ok) {
            self.brand = res.body.brand || null;
            self.windows = res.body.windows || [];
            self.render();
            return;
          }
          var code = (res.body.error && res.body.error.code) || "error";
          if (res.status === 401 || res.status === 403) self.explain(code);
          else if (code === "outside_area") self.fail("outside_area", self.t.outsideArea, false);
          else self.fail("error", self.t.error, true);
        }, function () {
          // The browser says only "Failed to fetch": the network, or a CORS refusal that hides the answer.
          self.explain("network");
        });
    }

    /* Ask the portal why the call failed: an answer every origin may read (scheduling.views.embed_check). */
    explain(fallback) {
      var self = this, t = this.t;
      var url = this.base() + "/embed/check/?key=" + encodeURIComponent(this.getAttribute("api-key") || "") + "&lang=" + this.lang;
      fetch(url, { credentials: "omit" })
        .then(function (r) { return r.json(); })
        .then(function (check) {
          if (check.status && check.status !== "ok") self.renderProblem(check);
          else if (fallback === "network") self.fail("network", t.network, true);
          else self.fail("error", t.error, true);
        }, function () { self.fail("network", t.network, true); });
    }

    emitError(code, message) {
      this.dispatchEvent(new CustomEvent("window-picker-error", { detail: { code: code, message: message }, bubbles: true, composed: true }));
    }

    frame() {
      this.root.innerHTML = "";
      adoptStyle(this.root);
      var picker = el("div", { class: "picker", part: "picker" });
      if (this.brand) {
        picker.style.setProperty("--api-brand", this.brand.primary_colour);
        picker.style.setProperty("--api-accent", this.brand.accent_colour);
      }
      picker.appendChild(el("span", { class: "probe probe-b" }));
      picker.appendChild(el("span", { class: "probe probe-a" }));
      this.root.appendChild(picker);
      this.picker = picker;
      return picker;
    }

    /* The text on the brand and accent colours in effect (the page's or the merchant's) reaches AA. */
    applyInks() {
      var picker = this.picker;
      [["b", ".probe-b"], ["a", ".probe-a"]].forEach(function (pair) {
        var rgb = parseRgb(getComputedStyle(picker.querySelector(pair[1])).color);
        if (rgb) picker.style.setProperty("--" + pair[0] + "-ink", inkOn(rgb));
      });
    }

    renderMessage(text) {
      var picker = this.frame();
      picker.appendChild(el("p", { class: "message", role: "status" }, text));
      this.notifyHeight();
    }

    fail(code, text, retry) {
      var picker = this.frame();
      var box = el("div", { class: "message bad", role: "alert" });
      box.appendChild(el("p", {}, text));
      if (retry) {
        var button = el("button", { type: "button", class: "retry" }, this.t.retry);
        button.addEventListener("click", this.load.bind(this));
        box.appendChild(button);
      }
      picker.appendChild(box);
      this.emitError(code, text);
      this.notifyHeight();
    }

    renderProblem(check) {
      var picker = this.frame();
      var box = el("div", { class: "message bad problem", role: "alert" });
      box.appendChild(el("p", { class: "problem-title" }, check.title || this.t.error));
      if (check.message) box.appendChild(el("p", { class: "problem-message" }, check.message));
      if (check.hint) box.appendChild(el("p", { class: "problem-hint" }, check.hint));
      picker.appendChild(box);
      this.emitError(check.status, check.message || check.title || "");
      this.notifyHeight();
    }

    dayLabel(isoDate, options) {
      var d = new Date(isoDate.slice(0, 10) + "T12:00:00Z");
      return d.toLocaleDateString(this.locale, Object.assign({ timeZone: "UTC" }, options || { weekday: "long", day: "numeric", month: "long" }));
    }

    priceLabel(price) {
      if (Number(price.amount) === 0) return this.t.free;
      return formatMoney(price.amount, price.currency, this.lang);
    }

    orderBy(w) {
      if (!w.cutoff) return "";
      return this.t.orderBy(w.cutoff.slice(11, 16), dayDiff(w.start, w.cutoff));
    }

    describe(w) {
      // Times carry the merchant's offset: the wall-clock part is what the shopper reads.
      var day = this.dayLabel(w.start);
      return { id: w.id, start: w.start, end: w.end, label: w.label, price: w.price, cutoff: w.cutoff,
               day: day.charAt(0).toUpperCase() + day.slice(1), time: w.start.slice(11, 16) + "–" + w.end.slice(11, 16),
               price_label: this.priceLabel(w.price) };
    }

    byDay() {
      var days = {}, order = [];
      this.windows.forEach(function (w) {
        var day = w.start.slice(0, 10);
        if (!days[day]) { days[day] = []; order.push(day); }
        days[day].push(w);
      });
      return { days: days, order: order };
    }

    render() {
      var t = this.t, self = this, ids = this.ids;
      var picker = this.frame();
      this.applyInks();
      var titleId = ids + "-title";
      picker.appendChild(el("p", { class: "title", id: titleId }, t.title));
      if (!this.windows.some(function (w) { return w.available; })) {
        picker.appendChild(el("p", { class: "message", role: "status" }, t.none));
        this.notifyHeight();
        return;
      }
      picker.appendChild(el("p", { class: "hint" }, t.hint));
      if (this.failMessage) {
        picker.appendChild(el("p", { class: "message bad", role: "alert" }, this.failMessage));
        this.failMessage = null;
      }
      var grouped = this.byDay();
      var selectedWindow = this.windows.find(function (w) { return w.id === self.selectedId; });
      var firstOpenDay = grouped.order.find(function (day) { return grouped.days[day].some(function (w) { return w.available; }); });
      if (selectedWindow) this.currentDay = selectedWindow.start.slice(0, 10);
      else if (grouped.order.indexOf(this.currentDay) < 0) this.currentDay = firstOpenDay;

      var tablist = el("div", { role: "tablist", class: "days", "aria-label": t.days });
      picker.appendChild(tablist);
      grouped.order.forEach(function (day) {
        var windows = grouped.days[day];
        var open = windows.some(function (w) { return w.available; });
        var full = self.dayLabel(day);
        var tab = el("button", {
          type: "button", role: "tab", class: "day", id: ids + "-tab-" + day, "data-day": day,
          "aria-controls": ids + "-panel-" + day, "aria-selected": String(day === self.currentDay),
          tabindex: day === self.currentDay ? "0" : "-1", "aria-label": full + (open ? "" : ", " + t.noneDayShort),
        });
        tab.appendChild(el("span", { class: "dow", "aria-hidden": "true" }, self.dayLabel(day, { weekday: "short" }).replace(".", "")));
        tab.appendChild(el("span", { class: "dom", "aria-hidden": "true" }, String(Number(day.slice(8, 10)))));
        if (!open) tab.appendChild(el("span", { class: "sub", "aria-hidden": "true" }, t.noneDayShort));
        tab.addEventListener("click", function () { self.showDay(day, false); });
        tablist.appendChild(tab);

        var panel = el("div", { role: "tabpanel", class: "panel", id: ids + "-panel-" + day, "aria-labelledby": tab.id });
        if (day !== self.currentDay) panel.hidden = true;
        // Shown for sight only: the tab already names the panel for assistive technology.
        panel.appendChild(el("p", { class: "day-title", "aria-hidden": "true" }, full));
        var group = el("div", { role: "radiogroup", class: "slots", "aria-label": full });
        windows.forEach(function (w) { group.appendChild(self.slot(w)); });
        group.addEventListener("keydown", self.onSlotKey.bind(self));
        if (!open) {
          panel.appendChild(el("p", { class: "empty" }, t.noneDay));
          panel.setAttribute("tabindex", "0");
        }
        panel.appendChild(group);
        picker.appendChild(panel);
      });
      tablist.addEventListener("keydown", this.onTabKey.bind(this));
      this.liveRegion = el("p", { class: "sr-only", role: "status", "aria-live": "polite" });
      picker.appendChild(this.liveRegion);
      this.updateTabbableSlot();
      this.notifyHeight();
    }

    slot(w) {
      var t = this.t, self = this, d = this.describe(w);
      var node = el("div", {
        role: "radio", class: "slot", "data-window-id": String(w.id), tabindex: "-1",
        "aria-checked": String(this.selectedId === w.id), "aria-disabled": String(!w.available),
      });
      node.appendChild(el("span", { class: "time" }, d.time));
      var meta = el("span", { class: "meta" });
      meta.appendChild(el("span", { class: "tier tier-" + String(w.label).replace(/[^a-z0-9_-]/gi, "") }, t.labels[w.label] || w.label));
      meta.appendChild(el("span", { class: "price" }, d.price_label));
      if (!w.available) meta.appendChild(el("span", { class: "reason" }, t.reasons[w.reason] || t.reasons.full));
      else {
        meta.appendChild(el("span", { class: "order-by" }, this.orderBy(w)));
        if (w.remaining <= 3) meta.appendChild(el("span", { class: "left" }, t.left(w.remaining)));
      }
      if (this.heldId === w.id) meta.appendChild(el("span", { class: "status" }, "✓ " + t.held));
      node.appendChild(meta);
      node.addEventListener("click", function () { if (w.available) { self.select(w.id, true); self.hold(w); } });
      return node;
    }

    panelFor(day) { return this.root.getElementById(this.ids + "-panel-" + day); }

    showDay(day, focusTab) {
      this.currentDay = day;
      var self = this;
      this.root.querySelectorAll("[role=tab]").forEach(function (tab) {
        var on = tab.getAttribute("data-day") === day;
        tab.setAttribute("aria-selected", String(on));
        tab.setAttribute("tabindex", on ? "0" : "-1");
        if (on && focusTab) tab.focus();
        var panel = self.panelFor(tab.getAttribute("data-day"));
        if (panel) panel.hidden = !on;
      });
      this.updateTabbableSlot();
      this.notifyHeight();
    }

    onTabKey(event) {
      var tabs = Array.prototype.slice.call(this.root.querySelectorAll("[role=tab]"));
      var current = tabs.indexOf(this.root.activeElement);
      if (current < 0) return;
      var next = null;
      if (event.key === "ArrowRight") next = (current + 1) % tabs.length;
      else if (event.key === "ArrowLeft") next = (current - 1 + tabs.length) % tabs.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = tabs.length - 1;
      if (next === null) return;
      event.preventDefault();
      this.showDay(tabs[next].getAttribute("data-day"), true);
    }

    /* In the shown day, one window takes Tab: the chosen one, else the first open one. */
    updateTabbableSlot() {
      var panel = this.panelFor(this.currentDay);
      this.root.querySelectorAll(".slot").forEach(function (s) { s.setAttribute("tabindex", "-1"); });
      if (!panel) return;
      var chosen = panel.querySelector('.slot[aria-checked="true"]') || panel.querySelector('.slot[aria-disabled="false"]');
      if (chosen) chosen.setAttribute("tabindex", "0");
    }

    slotFor(id) { return id === null ? null : this.root.querySelector('[data-window-id="' + id + '"]'); }

    enabledSlots() {
      var panel = this.panelFor(this.currentDay);
      return panel ? Array.prototype.slice.call(panel.querySelectorAll('.slot[aria-disabled="false"]')) : [];
    }

    select(id, focus) {
      this.selectedId = id;
      this.root.querySelectorAll(".slot").forEach(function (s) {
        s.setAttribute("aria-checked", String(s.getAttribute("data-window-id") === String(id)));
      });
      this.updateTabbableSlot();
      var node = this.slotFor(id);
      if (node && focus) node.focus();
    }

    onSlotKey(event) {
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
        this.select(id, true);
        this.hold(this.windows.find(function (x) { return x.id === id; }));
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
        .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          self.holding = false;
          if (!res.ok) {
            self.failMessage = t.holdFailed;
            self.selectedId = null;
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
        }, function () {
          self.holding = false;
          self.failMessage = t.network;
          self.render();
          self.emitError("network", t.network);
        });
    }

    tellParent(message) {
      if (this.getAttribute("mode") !== "iframe" || window.parent === window) return;
      // Only the merchant's registered origins (and our own pages) may receive the hold; the browser drops a
      // message whose target is not the parent's origin, so aim at the parent's when the browser tells it.
      var allowed = (this.getAttribute("parent-origins") || "").split(/\s+/).filter(Boolean).concat([window.location.origin]);
      var parent = window.location.ancestorOrigins && window.location.ancestorOrigins.length ? window.location.ancestorOrigins[0] : "";
      var targets = parent ? allowed.filter(function (origin) { return origin === parent; }) : allowed;
      targets.forEach(function (origin) { window.parent.postMessage(message, origin); });
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
