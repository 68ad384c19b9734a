// The public calculator page: live results as the visitor types (debounced), from the
// server's own computation (POST to the form's data-compute address), each bad input named
// beside it; and, when the page is embedded, its height told to the embedding page so the
// frame fits (embed.js listens). No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("calc-form");
  if (!form) return;
  var url = form.getAttribute("data-compute");
  var timer = null;
  var touched = "";
  var sent = 0;

  function fields() {
    var data = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name.indexOf("in_") === 0) data.append(el.name, el.value);
    });
    data.append("visit", form.elements.visit ? form.elements.visit.value : "");
    data.append("touched", touched);
    return data;
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      var key = el.getAttribute("data-error-for");
      var messages = (errors && errors[key]) || [];
      el.textContent = messages.join(" ");
      var field = el.closest(".calc-field");
      if (field) field.classList.toggle("has-error", messages.length > 0);
    });
  }

  function showResults(results) {
    form.querySelectorAll("[data-output]").forEach(function (el) {
      var key = el.getAttribute("data-output");
      if (key in results) el.textContent = results[key];
      el.parentNode.classList.remove("stale");
    });
  }

  function stale() {
    form.querySelectorAll("[data-output]").forEach(function (el) {
      el.parentNode.classList.add("stale");
    });
  }

  function compute() {
    var mine = ++sent;
    fetch(url, {
      method: "POST",
      body: fields(),
      credentials: "omit",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (mine !== sent) return; // a newer answer is on its way
      if (answer.body.ok) {
        showErrors({});
        showResults(answer.body.results || {});
      } else if (answer.body.errors) {
        showErrors(answer.body.errors);
        stale();
      } else {
        showErrors({ "__all__": [answer.body.error || "Something went wrong; try again."] });
      }
      tellHeight();
    }).catch(function () {
      showErrors({ "__all__": ["The results could not be updated; check your connection."] });
    });
  }

  form.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (name.indexOf("in_") !== 0) return;
    touched = name.slice(3);
    window.clearTimeout(timer);
    timer = window.setTimeout(compute, 350);
  });

  // The content's own height (not the document's, which is at least the frame's: reporting
  // that would grow the frame on every resize), told only when it changes.
  var reported = 0;
  function tellHeight() {
    if (window.parent === window) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === reported) return;
    reported = height;
    window.parent.postMessage({ accordCalculatorHeight: height }, "*");
  }
  window.addEventListener("load", tellHeight);
  window.addEventListener("resize", tellHeight);
})();
