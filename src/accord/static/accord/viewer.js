// The public viewer of a tracked link: tells Accord how long the page was read. Every 15
// seconds, when the tab is hidden and when the page is left, it posts the seconds the page
// was visible since the last post (at most 60, which the server also checks) to the link's
// ping address, with the page's CSRF token. Pages of a PDF are not reported: the browser's
// PDF viewer does not tell the page which pages were seen.
(function () {
  "use strict";
  var form = document.getElementById("reading");
  if (!form) return;
  var url = form.getAttribute("action");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var counted = 0;
  var since = Date.now();
  var visible = !document.hidden;

  function flush() {
    var now = Date.now();
    if (visible) counted += (now - since) / 1000;
    since = now;
    var seconds = Math.min(Math.round(counted), 60);
    if (seconds < 1) return;
    counted = 0;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf);
    data.append("seconds", String(seconds));
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      flush();
      visible = false;
    } else {
      visible = true;
      since = Date.now();
    }
  });
  window.addEventListener("pagehide", flush);
  setInterval(flush, 15000);
})();
