// The lead definition editor: each fit rule's value box suggests the values its field
// holds in the data (the page renders one <datalist> per field, with lead counts), names
// the commonest of them under the box (a datalist cannot help with the second value of
// "is one of") when the test names values exactly, and follows the field and the test
// when they change. No inline script: the CSP forbids it.
(function () {
  "use strict";
  const SHOWN = 6;
  const EXACT = ["equals", "one_of"]; // the tests that name values a lead must hold

  function hint(input, list) {
    let note = input.parentElement.querySelector(".value-hint");
    if (!note) {
      note = document.createElement("span");
      note.className = "value-hint";
      input.after(note);
    }
    if (!list) {
      note.textContent = "";
      return;
    }
    const options = Array.from(list.options);
    const shown = options.slice(0, SHOWN).map((o) => `${o.value} (${o.label})`);
    note.textContent = shown.length
      ? "In the data: " + shown.join(", ") + (options.length > SHOWN ? ", …" : "")
      : "No values in the data yet.";
  }

  function follow(row) {
    const field = row.querySelector("select[name$='-field']");
    const op = row.querySelector("select[name$='-op']");
    const input = row.querySelector("input[name$='-value']");
    if (!field || !input) return;
    const list = document.getElementById("rule-values-" + field.value);
    if (list) input.setAttribute("list", list.id);
    else input.removeAttribute("list");
    hint(input, list && op && EXACT.includes(op.value) ? list : null);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table.rules select[name$='-field']").forEach((field) => {
      const row = field.closest("tr");
      follow(row);
      row.addEventListener("change", () => follow(row));
    });
  });
})();
