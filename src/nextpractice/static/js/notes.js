// Notes being typed survive leaving the meeting page, as feedback drafts do. Progressive
// enhancement: without this file "Keep as a draft" saves the draft on the server.
//
// Each note form (data-note-draft: the draft's address) is kept on the server a moment
// after the note-taker stops typing, when the field loses focus, and when the page is left
// (sendBeacon, which outlives the page). Saving the note discards the draft on the server.
(function () {
  "use strict";
  document.querySelectorAll("form[data-note-draft]").forEach(function (form) {
    var url = form.getAttribute("data-note-draft");
    var text = form.querySelector("textarea[name=text]");
    var status = form.querySelector("[data-draft-status]");
    if (!text) { return; }
    var saved = text.value;
    var timer = null;
    var sending = false;

    function body() {
      var data = new FormData();
      ["csrfmiddlewaretoken", "item"].forEach(function (name) {
        var field = form.querySelector("[name=" + name + "]");
        if (field) { data.set(name, field.value); }
      });
      data.set("text", text.value);
      data.set("autosave", "1");  // answered with 204, not a page and a message
      return data;
    }

    function say(words) { if (status) { status.textContent = words; } }

    function keep() {
      clearTimeout(timer);
      if (sending || text.value === saved) { return; }
      var value = text.value;
      fetch(url, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        keepalive: true,
      }).then(function (response) {
        if (response.ok) {
          saved = value;
          say(value.trim() ? "Draft kept: it will be here if you leave and come back." : "");
        } else {
          response.text().then(function (why) { say(why); });
        }
      }).catch(function () { say("Not connected: your draft could not be kept yet."); });
    }

    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(keep, 1500);
    });
    text.addEventListener("blur", function (event) {
      // Leaving the field for this form's own button: the note or draft is being sent.
      var to = event.relatedTarget;
      if (to && form.contains(to) && to.type === "submit") { return; }
      keep();
    });
    form.addEventListener("submit", function () {
      // The note (or the draft, by the no-script button) is on its way: nothing more to keep.
      clearTimeout(timer);
      sending = true;
    });
    window.addEventListener("pagehide", function () {
      if (sending || text.value === saved || !navigator.sendBeacon) { return; }
      navigator.sendBeacon(url, body());
    });
  });
})();
