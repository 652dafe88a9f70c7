// Feedback that survives a dropped connection. Progressive enhancement: the form works
// without this file (each button saves on the server).
//
// As the reviewer types, everything in the form is kept in this browser (localStorage)
// and, when online, saved to the server after a short pause. The server keeps one answer
// per reviewer per focus area and overwrites it with what is sent (an upsert), so sending
// the same draft twice changes nothing and a lost reply is simply sent again. Saves go one
// at a time, newest text last, so an older save can never land after a newer one. The copy
// kept here is dropped only once the server has confirmed the very version it holds.
//
// On a learning walk (form[data-walk]) every focus area is on the page, one shown at a
// time: Next and Previous change the screen here, with or without a connection.
(function () {
  "use strict";
  // The page a sent form lands on: the copy kept here while sending is no longer needed
  // (nothing typed after it is, since typing again clears the mark).
  var sent = document.querySelector("[data-feedback-sent]");
  if (sent) {
    var sentKey = "np-feedback-" + sent.getAttribute("data-feedback-sent");
    try {
      if ((JSON.parse(localStorage.getItem(sentKey) || "null") || {}).sent) { localStorage.removeItem(sentKey); }
    } catch (e) { localStorage.removeItem(sentKey); }
  }
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var key = "np-feedback-" + form.getAttribute("data-autosave");
  var status = document.getElementById("save-status");
  var PAUSE = 1500;
  var timer = null;
  var retryTimer = null;
  var retryDelay = 5000;
  var inFlight = false;
  var again = false;
  var revision = 0;

  function say(text) { if (status) { status.textContent = text; } }

  function fields() {
    var data = {};
    form.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (el) {
      if (el.name) { data[el.name] = el.value; }
    });
    form.querySelectorAll("input[type=radio]:checked").forEach(function (el) {
      data[el.name] = el.value;
    });
    return data;
  }

  function stored() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function keepHere(sending) {
    revision = Math.max(revision, (stored() || {}).rev || 0) + 1;
    var saved = { rev: revision, at: Date.now(), fields: fields(), sent: !!sending };
    try { localStorage.setItem(key, JSON.stringify(saved)); } catch (e) { /* storage full */ }
    return saved;
  }

  function offline() { say("No connection: what you typed is kept on this device and will be sent when the connection returns."); }

  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  // Send what is kept here, if anything; one save at a time.
  function flush() {
    var pending = stored();
    if (!pending) { return; }
    if (inFlight) { again = true; return; }
    if (!navigator.onLine) { offline(); return; }
    inFlight = true;
    var body = new FormData(form);
    Object.keys(pending.fields).forEach(function (name) { body.set(name, pending.fields[name]); });
    body.set("do", "draft");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",  // a sign-in page is not a save
      headers: { "X-Autosave": "1" },
    }).then(function (response) {
      inFlight = false;
      if (response.status === 204) {
        retryDelay = 5000;
        var now = stored();
        if (now && now.rev === pending.rev) { localStorage.removeItem(key); }
        say("Your answers are saved.");
      } else if (response.status === 400) {
        say("This could not be stored: send the form to see what needs changing. What you typed is kept on this device.");
        return;  // the same text would be refused again; the next change tries again
      } else {
        say("Not sent yet: what you typed is kept on this device and will be sent again shortly.");
        retryLater();
        return;
      }
      if (again) { again = false; flush(); }
    }).catch(function () {
      inFlight = false;
      again = false;
      offline();
      retryLater();
    });
  }

  function saveSoon() {
    keepHere();
    clearTimeout(timer);
    timer = setTimeout(flush, PAUSE);
  }

  // --- A learning walk: every area on the page, one screen at a time.
  var screens = Array.prototype.slice.call(form.querySelectorAll("[data-screen]"));
  var where = document.getElementById("walk-where");
  function show(n, moveFocus) {
    var shown = null;
    screens.forEach(function (screen) {
      var on = screen.getAttribute("data-screen") === String(n);
      screen.hidden = !on;
      if (on) { shown = screen; }
    });
    if (!shown) { return; }
    if (where) { where.textContent = shown.getAttribute("data-where"); }
    try { history.replaceState(null, "", "?step=" + n); } catch (e) { /* not allowed here */ }
    if (moveFocus) {
      var heading = shown.querySelector("h2") || shown.querySelector("label");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
      window.scrollTo(0, 0);
    }
  }
  if (form.hasAttribute("data-walk")) {
    // Every screen's fields take part from now on: the page, not the server, shows them.
    form.querySelectorAll("[data-off]").forEach(function (el) {
      el.disabled = false;
      el.removeAttribute("data-off");
    });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=do]");
      if (!button) { return; }
      var step = /^step-(\d+)$/.exec(button.value);
      if (!step) { return; }
      event.preventDefault();
      show(step[1], true);
      if (stored()) { clearTimeout(timer); flush(); }
    });
  }

  // What was typed here and not yet confirmed by the server is put back and sent. When the
  // page already shows exactly that (the server has it: the last save's reply was lost, or
  // the form was sent), the copy here is simply dropped.
  function byName(name) { return form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']"); }
  function differs(saved) {
    return Object.keys(saved).some(function (name) {
      var differ = false;
      byName(name).forEach(function (el) {
        if (el.type === "radio") { differ = differ || (el.checked !== (el.value === saved[name])); }
        // The server trims what it keeps: a trailing space is not a difference.
        else { differ = differ || el.value.trim() !== String(saved[name]).trim(); }
      });
      return differ;
    });
  }
  var pending = stored();
  if (pending && pending.fields && differs(pending.fields)) {
    revision = pending.rev || 0;
    Object.keys(pending.fields).forEach(function (name) {
      byName(name).forEach(function (el) {
        if (el.type === "radio") { el.checked = el.value === pending.fields[name]; }
        else { el.value = pending.fields[name]; }
      });
    });
    say("What you typed on this device is back, and is being sent.");
    flush();
  } else if (pending) {
    localStorage.removeItem(key);
  }

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (!navigator.onLine) {
      event.preventDefault();
      keepHere();
      say("No connection: your feedback is kept on this device. Send it when the connection returns.");
      return;
    }
    // Kept here until the page it lands on says it arrived, or a later visit to this form
    // shows the server has it: if this submission is lost on the way, the text comes back.
    keepHere(true);
  });
  window.addEventListener("online", function () {
    retryDelay = 5000;
    clearTimeout(retryTimer);
    if (stored()) { say("Connection back: saving."); flush(); }
  });
  window.addEventListener("offline", function () { if (stored()) { offline(); } });
  // A phone put in a pocket may freeze the page before the pause ends: save now.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && stored()) { clearTimeout(timer); flush(); }
  });
})();
