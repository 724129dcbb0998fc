// Merchant settings: copy buttons, and the brand tab's live preview with its contrast check.
(function () {
  "use strict";

  // --- Copy buttons: <button data-copy="#id"> copies the text of #id.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (development): select the text and use the older command.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      copyText(target.textContent.trim()).then(function () {
        button.textContent = "Copied";
      }, function () {
        // Leave the text selected so the owner can copy it by hand.
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Press Ctrl+C";
      });
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });

  // --- Brand preview.
  var preview = document.getElementById("brand-preview");
  var form = document.getElementById("brand-form");
  if (!preview || !form) return;

  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16) / 255; });
    var linear = channels.map(function (c) { return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }

  function contrastWithWhite(hex) {
    return 1.05 / (luminance(hex) + 0.05);
  }

  var warning = document.getElementById("contrast-warning");
  var ratioOut = document.getElementById("contrast-ratio");
  var minimum = parseFloat(warning.getAttribute("data-min"));
  var message = warning.getAttribute("data-message");

  function colourChanged(input) {
    var value = input.value.toLowerCase();
    var code = document.querySelector('[data-hex-of="' + input.id + '"]');
    if (code) code.textContent = value;
    if (!/^#[0-9a-f]{6}$/.test(value)) return;
    if (input.name === "primary_colour") {
      preview.style.setProperty("--preview-primary", value);
      var ratio = contrastWithWhite(value);
      ratioOut.textContent = ratio.toFixed(1) + ":1";
      if (ratio < minimum) {
        warning.textContent = message.replace("{colour}", value).replace("{ratio}", ratio.toFixed(1))
          .replace("{minimum}", String(minimum));
        warning.hidden = false;
      } else {
        warning.hidden = true;
      }
    } else {
      preview.style.setProperty("--preview-accent", value);
    }
  }

  form.querySelectorAll('input[type="color"]').forEach(function (input) {
    input.addEventListener("input", function () { colourChanged(input); });
  });

  var nameInput = form.querySelector('[name="brand_name"]');
  var nameOut = document.getElementById("preview-name");
  nameInput.addEventListener("input", function () { nameOut.textContent = nameInput.value || "Your shop"; });

  // The same rule as the pages: an uploaded file wins, then the logo URL.
  var logo = document.getElementById("preview-logo");
  var uploaded = logo.getAttribute("data-uploaded") || "";
  var fileInput = form.querySelector('[name="logo"]');
  var urlInput = form.querySelector('[name="logo_url"]');
  var removeInput = form.querySelector('[name="remove_logo"]');
  var objectUrl = null;

  function showLogo() {
    var src = "";
    if (fileInput.files && fileInput.files[0]) {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(fileInput.files[0]);
      src = objectUrl;
    } else if (uploaded && !(removeInput && removeInput.checked)) {
      src = uploaded;
    } else if (/^https:\/\/\S+$/.test(urlInput.value.trim())) {
      src = urlInput.value.trim();
    }
    if (src) { logo.src = src; logo.hidden = false; } else { logo.removeAttribute("src"); logo.hidden = true; }
  }
  [fileInput, urlInput, removeInput].forEach(function (input) {
    if (input) input.addEventListener(input === urlInput ? "input" : "change", showLogo);
  });

  // The hours as an English-speaking customer reads them (each customer gets their own language): the
  // same runs of days as the server writes, "Mon–Fri, Sun 9:00–18:00".
  var phone = form.querySelector('[name="support_phone"]');
  var dayBoxes = Array.prototype.slice.call(form.querySelectorAll('[name="support_days"]'));
  var opens = form.querySelector('[name="support_opens"]');
  var closes = form.querySelector('[name="support_closes"]');
  var note = form.querySelector('[name="support_note"]');
  var support = document.getElementById("preview-support");
  var DAY_NAMES = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  function clock(value) { return value.replace(/^0(\d)/, "$1"); }
  function hoursLabel() {
    var days = dayBoxes.filter(function (box) { return box.checked; })
      .map(function (box) { return Number(box.value); }).sort();
    var parts = [];
    if (days.length && opens.value && closes.value) {
      var runs = [];
      days.forEach(function (day) {
        var last = runs[runs.length - 1];
        if (last && day === last[1] + 1) { last[1] = day; } else { runs.push([day, day]); }
      });
      var when = days.length === 7 ? "every day" : runs.map(function (run) {
        if (run[0] === run[1]) return DAY_NAMES[run[0]];
        return DAY_NAMES[run[0]] + (run[1] === run[0] + 1 ? ", " : "–") + DAY_NAMES[run[1]];
      }).join(", ");
      parts.push(when + " " + clock(opens.value) + "–" + clock(closes.value));
    }
    if (note.value.trim()) parts.push(note.value.trim());
    return parts.join(" · ");
  }
  function showSupport() {
    var parts = [phone.value.trim(), hoursLabel()].filter(Boolean);
    support.textContent = parts.length ? "Questions? " + parts.join(" · ") : "";
  }
  [phone, opens, closes, note].concat(dayBoxes).forEach(function (input) {
    input.addEventListener(input.type === "checkbox" ? "change" : "input", showSupport);
  });
})();
