// The back-office's only script of its own (the CSP allows no inline script):
// - focus moves to the first field in error, else to the first error message (RGAA 11.10);
// - the letters' "Imprimer" button prints.
(function () {
  "use strict";

  function focusFirstError(root) {
    var field = root.querySelector('[aria-invalid="true"]');
    if (field) {
      field.focus();
      return;
    }
    var alert = root.querySelector(".fr-alert--error");
    if (alert) {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError(document);
    document.querySelectorAll("[data-imprimer]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });

  // A form checked through HTMX comes back in place: its first error gets the focus too.
  document.addEventListener("htmx:afterSwap", function (event) {
    focusFirstError(event.detail.target.parentNode || document);
  });
})();
