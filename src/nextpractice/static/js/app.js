// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
  // Move focus to the error summary so that screen-reader and keyboard users hear it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  // Fields that matter for one answer only (a deputy's name and email when "Sending a
  // deputy" is chosen): data-reveal-when="radio-name=value". Without this script they stay
  // shown and the server says which are needed.
  document.querySelectorAll("[data-reveal-when]").forEach(function (box) {
    var rule = box.getAttribute("data-reveal-when").split("=");
    var form = box.closest("form");
    if (!form) { return; }
    var radios = form.querySelectorAll("input[type=radio][name='" + rule[0] + "']");
    function update() {
      var chosen = form.querySelector("input[type=radio][name='" + rule[0] + "']:checked");
      var show = Boolean(chosen && chosen.value === rule[1]);
      box.hidden = !show;
      // As the design system's conditional reveal does: the choice names what it shows
      // (aria-expanded is not allowed on a radio button).
      radios.forEach(function (radio) {
        if (radio.value === rule[1]) { radio.setAttribute("aria-controls", box.id); }
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
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
