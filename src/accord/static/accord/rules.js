// The lead definition editor: each fit rule's value box suggests the values its field
// holds in the data (the page renders one <datalist> per field, with lead counts), and
// follows the field when it is changed. No inline script: the CSP forbids it.
(function () {
  "use strict";

  function follow(select) {
    const row = select.closest("tr");
    const input = row && row.querySelector("input[name$='-value']");
    if (!input) return;
    const list = document.getElementById("rule-values-" + select.value);
    if (list) input.setAttribute("list", list.id);
    else input.removeAttribute("list");
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table.rules select[name$='-field']").forEach((select) => {
      follow(select);
      select.addEventListener("change", () => follow(select));
    });
  });
})();
