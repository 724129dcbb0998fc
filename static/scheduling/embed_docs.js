// The embedding guide's live preview: show the picker's events as a shop's page receives them.
(function () {
  "use strict";
  var picker = document.getElementById("preview-picker");
  var log = document.getElementById("event-log");
  if (!picker || !log) return;
  ["window-held", "window-picker-error"].forEach(function (type) {
    picker.addEventListener(type, function (event) {
      log.textContent = type + "\n" + JSON.stringify(event.detail, null, 2);
    });
  });
})();
