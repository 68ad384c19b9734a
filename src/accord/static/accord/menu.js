// The header's Menu button on narrow screens (see app.css): folds and unfolds the links.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector(".menu-toggle");
    if (!button) return;
    const bar = button.closest(".topbar");
    button.addEventListener("click", () => {
      const open = bar.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
