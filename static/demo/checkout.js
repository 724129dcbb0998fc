// The demo checkout: keep the held window's id in the form, and say what is held.
(function () {
  "use strict";
  var picker = document.getElementById("picker");
  var holdInput = document.getElementById("hold_id");
  var status = document.getElementById("held-status");
  var book = document.getElementById("book");
  var hint = document.getElementById("book-hint");
  if (!picker || !holdInput) return;
  var fr = (document.documentElement.lang || "en").indexOf("fr") === 0;
  function sync() {
    var held = !!holdInput.value;
    book.setAttribute("aria-disabled", held ? "false" : "true");
    hint.hidden = held;
  }
  picker.addEventListener("window-held", function (event) {
    var d = event.detail;
    holdInput.value = d.hold.id;
    var until = new Date(d.hold.expires_at);
    var hhmm = until.toLocaleTimeString(fr ? "fr-FR" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    status.textContent = (fr ? "Créneau réservé : " : "Window held: ") + d.window.day + " " + d.window.time +
      " · " + d.window.price_label + (fr ? " (jusqu’à " : " (until ") + hhmm + ")";
    sync();
  });
  book.form.addEventListener("submit", function (event) {
    if (!holdInput.value) {
      event.preventDefault();
      hint.hidden = false;
      hint.setAttribute("role", "alert");
      picker.focus();
    }
  });
  sync();
})();
