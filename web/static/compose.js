// The live preview on the compose page. A moment after the operator stops typing, the
// form goes to /alerts/preview, which answers with the numbers the server's own preview
// works out (the ones the daemon will spend), and the preview panel shows them. Choosing
// a template draws the form again with the template's fields. Without JavaScript the
// "Preview" and "Use template" buttons do the same with a page load.
(function () {
  "use strict";
  var DELAY_MS = 300;
  var FIGURES = ["encoding", "characters", "parts", "recipients", "total", "finish"];
  var form = document.getElementById("compose");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var latest = 0;

  function set(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function count(n) {
    return Number(n).toLocaleString("en-GB");
  }

  function clear(message) {
    set("preview-error", message);
    FIGURES.forEach(function (name) { set("preview-" + name, "-"); });
    set("preview-warning", "");
    channels([], false);
    near("");
  }

  // Each channel's share (SIMs, a hosted service, email): shown only when more than the
  // SIMs take one. Text goes in as text: a service's name is never read as HTML.
  function channels(rows, split) {
    var table = document.getElementById("preview-channels");
    if (!table) return;
    var body = table.tBodies[0];
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (c) {
      var row = body.insertRow();
      row.setAttribute("data-channel", c.channel);
      [c.label, count(c.recipients), c.cost, c.time].forEach(function (text) {
        row.insertCell().textContent = text;
      });
    });
    table.hidden = !split;
  }

  // An alert near a place: how many the radius holds and how many have no location.
  function near(text) {
    var el = document.getElementById("preview-near");
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  function show(data) {
    set("preview-error", "");
    set("preview-encoding", data.encoding);
    set("preview-characters", count(data.characters));
    set("preview-parts", count(data.parts));
    set("preview-recipients", count(data.recipients));
    set("preview-total", count(data.total_parts));
    set("preview-finish", data.finish);
    set("preview-warning", data.warning);
    set("preview-text", data.text);
    near(data.near);
    channels(data.channels || [], data.split);
    var notes = document.getElementById("preview-notes");
    while (notes.firstChild) notes.removeChild(notes.firstChild);
    data.notes.forEach(function (note) {
      var item = document.createElement("li");
      item.textContent = note;
      notes.appendChild(item);
    });
  }

  function update() {
    var mine = ++latest;
    window.fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token }
    })
      .then(function (response) {
        if (response.redirected) throw new Error("signed out: reload the page");
        return response.json();
      })
      .then(function (data) {
        if (mine !== latest) return; // a later keystroke's answer is on its way
        if (data.error) clear(data.error);
        else show(data);
      })
      .catch(function (err) {
        if (mine === latest) clear("No live preview (" + err.message + "): use Preview.");
      });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DELAY_MS);
  }

  var chooser = document.getElementById("template");
  var useTemplate = document.getElementById("use-template");
  if (chooser && useTemplate) {
    useTemplate.hidden = true;
    chooser.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(useTemplate);
      else useTemplate.click();
    });
  }
  form.addEventListener("input", function (event) {
    if (event.target !== chooser) soon();
  });
  update();
})();
