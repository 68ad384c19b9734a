// Embeds an Accord value calculator where this script tag stands:
//   <script src="https://accord.example.com/static/accord/embed.js" data-calculator="SLUG" async></script>
// It inserts an iframe of the calculator's public page (the page's CSP decides which sites
// may frame it) and lets the frame grow to the height the page reports.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-calculator")) return;
  var origin = new URL(script.src).origin;
  var frame = document.createElement("iframe");
  frame.src = origin + "/c/" + encodeURIComponent(script.getAttribute("data-calculator")) + "/";
  frame.title = script.getAttribute("data-title") || "Value calculator";
  frame.width = "100%";
  frame.height = script.getAttribute("data-height") || "900";
  frame.setAttribute("loading", "lazy");
  frame.setAttribute("frameborder", "0");
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var height = event.data && event.data.accordCalculatorHeight;
    if (typeof height === "number" && height > 0 && height < 20000) {
      frame.height = String(Math.ceil(height) + 16);
    }
  });
})();
