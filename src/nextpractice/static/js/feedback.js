// Feedback drafts that survive a dropped connection. Progressive enhancement: the form
// works without this file (each button saves on the server).
//
// As the reviewer types, the draft is kept in this browser (localStorage) and, when online,
// saved to the server after a short pause. A button pressed while offline keeps the draft
// here and says so; when the connection returns the draft is sent and the page reloads.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var key = "np-feedback-" + form.getAttribute("data-autosave");
  var status = document.getElementById("save-status");
  var timer = null;

  function fields() {
    var data = {};
    form.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (el) {
      data[el.name] = el.value;
    });
    form.querySelectorAll("input[type=radio]:checked").forEach(function (el) {
      data[el.name] = el.value;
    });
    return data;
  }

  function say(text) { if (status) { status.textContent = text; } }

  function send(extra) {
    var body = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { body.set(k, extra[k]); });
    if (!body.get("do")) { body.set("do", "draft"); }
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Autosave": "1" },
    }).then(function (response) {
      if (!response.ok && response.status !== 400) { throw new Error("HTTP " + response.status); }
      return response;
    });
  }

  function keepHere() {
    var saved = { at: Date.now(), fields: fields() };
    try { localStorage.setItem(key, JSON.stringify(saved)); } catch (e) { /* storage full */ }
  }

  function saveSoon() {
    keepHere();
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!navigator.onLine) { say("No connection: your draft is kept on this device."); return; }
      send().then(function () {
        localStorage.removeItem(key);
        say("Draft saved.");
      }).catch(function () { say("No connection: your draft is kept on this device."); });
    }, 1500);
  }

  // A draft left here by a dropped connection is put back and sent.
  try {
    var pending = JSON.parse(localStorage.getItem(key) || "null");
    if (pending && pending.fields) {
      Object.keys(pending.fields).forEach(function (name) {
        form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
          if (el.type === "radio") { el.checked = el.value === pending.fields[name]; }
          else { el.value = pending.fields[name]; }
        });
      });
      say("Your unsent draft from this device is back.");
      if (navigator.onLine) { saveSoon(); }
    }
  } catch (e) { localStorage.removeItem(key); }

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (!navigator.onLine) {
      event.preventDefault();
      keepHere();
      say("No connection: your feedback is kept on this device and will be sent when the connection returns.");
      return;
    }
    localStorage.removeItem(key);  // the server has it once this submission lands
  });
  window.addEventListener("online", function () {
    if (!localStorage.getItem(key)) { return; }
    send().then(function () {
      localStorage.removeItem(key);
      say("Connection back: your draft is saved.");
    }).catch(function () { /* still offline in practice; the next change retries */ });
  });
})();
