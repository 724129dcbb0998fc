/*
 * The iframe loader, for shops that embed the picker as a frame:
 *
 *   <iframe data-delivery-window-picker title="Delivery windows" style="width: 100%; border: 0"
 *       src="https://portal.example/embed/windows/?key=pk_…&lat=48.86&lng=2.35&lang=fr"></iframe>
 *   <script src="https://portal.example/static/scheduling/embed.js" async></script>
 *
 * - A frame refused by the portal's `frame-ancestors` (the shop's origin is not registered) shows
 *   only the browser's broken-page icon and tells its page nothing. So the loader first asks the
 *   portal whether this page may show the picker (GET /embed/check/, readable by every origin) and,
 *   when not, puts the portal's explanation where the frame would be.
 * - It sizes the frame to its content, and re-emits the picker's events on the iframe element:
 *   `window-held` (detail { hold, window }) and `window-picker-error` (detail { code, message }).
 */
(function () {
  "use strict";
  if (window.__deliveryWindowPickerLoader) return;
  window.__deliveryWindowPickerLoader = true;

  var TEXT = {
    en: { network: "We could not reach the delivery service. Check your connection and try again." },
    fr: { network: "Le service de livraison est injoignable. Vérifiez votre connexion et réessayez." },
  };
  var SELECTOR = "iframe[data-delivery-window-picker]";
  // The same box as the picker's own message (static/scheduling/picker.js, .message.bad).
  var BOX = "background:#fce8e6;color:#a50e0e;border-radius:6px;padding:.6rem .8rem;margin:0 0 .5rem;" +
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:1rem;line-height:1.5";

  function source(frame) {
    try { return new URL(frame.getAttribute("src") || "", document.baseURI); } catch (e) { return null; }
  }

  function language(src) {
    var lang = (src.searchParams.get("lang") || document.documentElement.lang || "en").slice(0, 2);
    return TEXT[lang] ? lang : "en";
  }

  function emit(frame, type, detail) {
    frame.dispatchEvent(new CustomEvent(type, { detail: detail, bubbles: true }));
  }

  function showProblem(frame, code, title, message, hint) {
    var box = document.createElement("div");
    box.setAttribute("role", "alert");
    box.className = "delivery-window-picker-problem";
    box.style.cssText = BOX;  // CSSOM, not a style attribute, which a shop's strict policy would refuse
    [[title, "font-weight:700"], [message, ""], [hint, "margin-top:.35rem;font-size:.8rem;color:#5f2120"]].forEach(function (line) {
      if (!line[0]) return;
      var p = document.createElement("p");
      p.style.cssText = "margin:0;" + line[1];
      p.textContent = line[0];
      box.appendChild(p);
    });
    frame.parentNode.insertBefore(box, frame);
    frame.style.display = "none";
    emit(frame, "window-picker-error", { code: code, message: message || title });
  }

  function setUp(frame) {
    if (frame.__deliveryWindowPicker) return;
    var src = source(frame);
    if (!src) return;
    frame.__deliveryWindowPicker = src.origin;
    var lang = language(src);
    // Hidden until the portal says this page may show it, so a refused frame's broken icon never shows.
    frame.style.visibility = "hidden";
    var check = src.origin + "/embed/check/?key=" + encodeURIComponent(src.searchParams.get("key") || "") + "&lang=" + lang;
    fetch(check, { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.status === "ok") frame.style.visibility = "";
        else showProblem(frame, answer.status, answer.title, answer.message, answer.hint);
      }, function () {
        showProblem(frame, "network", TEXT[lang].network, "", "");
      });
  }

  function scan() { document.querySelectorAll(SELECTOR).forEach(setUp); }

  window.addEventListener("message", function (event) {
    document.querySelectorAll(SELECTOR).forEach(function (frame) {
      if (event.source !== frame.contentWindow || event.origin !== frame.__deliveryWindowPicker) return;
      var data = event.data || {};
      if (data.type === "window-picker-height" && data.height > 0) frame.style.height = Math.ceil(data.height) + "px";
      else if (data.type === "window-held") emit(frame, "window-held", { hold: data.hold, window: data.window });
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  // Checkouts that add the frame later (single-page apps) are set up when it appears.
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
})();
