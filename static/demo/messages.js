// The email reader: a phone's mail app shrinks an email laid out wider than the screen to fit it, rather
// than cutting its right side off; the reader does the same. The email itself stays in its sandbox: its
// width cannot be read from here, so it is taken as the usual 600 px and some room for a long link.
(function () {
  "use strict";
  var EMAIL_WIDTH = 640;
  var frame = document.querySelector(".mail-frame");
  if (!frame) return;
  var wrap = frame.parentNode;
  function fit() {
    var scale = Math.min(1, wrap.clientWidth / EMAIL_WIDTH);
    frame.style.zoom = frame.style.width = frame.style.height = "";
    if (scale < 1) {
      var height = frame.offsetHeight;
      frame.style.width = EMAIL_WIDTH + "px";
      frame.style.height = height / scale + "px";  // zoom shrinks the height too: keep the frame as tall
      frame.style.zoom = scale;
    }
  }
  fit();
  window.addEventListener("resize", fit);
})();
