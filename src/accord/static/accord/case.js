// The business case's Print buttons (no inline script: the page's policy forbids it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
