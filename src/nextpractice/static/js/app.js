// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
  // Move focus to the error summary so that screen-reader and keyboard users hear it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  // Buttons that ask before doing something hard to undo.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // Forms that must go once (publishing a round): a second click while the first is on
    // its way sends nothing. The server refuses a repeat anyway; this spares the wait.
    if (form.hasAttribute("data-submit-once")) {
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
    }
  });
})();
