// Keeps an alert's progress bar live: every two seconds /alerts/<ref>/progress is read and
// the bar, the counts and the status updated. When the status changes (the alert has gone
// out, or was cancelled) the page is drawn again, so its buttons match. Without
// JavaScript, a <noscript> meta refresh reloads the page while the alert is going out.
(function () {
  "use strict";
  var PERIOD_MS = 2000;
  var LIVE = { scheduled: true, sending: true };
  var STATES = ["queued", "sending", "sent", "delivered", "failed", "cancelled", "opted_out"];
  var bar = document.getElementById("progress");
  if (!bar || !window.fetch) return;
  var url = bar.getAttribute("data-url");
  var drawn = bar.getAttribute("data-status");

  function set(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function count(n) {
    return Number(n).toLocaleString("en-GB");
  }

  // "by fastsms: sent 480, delivered 20", one line a channel, shown once an alert goes
  // by more than the SIMs. Names go in as text, never as HTML.
  function channels(rows) {
    var section = document.getElementById("by-channel-section");
    var list = document.getElementById("by-channel");
    if (!section || !list) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    rows.forEach(function (c) {
      var item = document.createElement("li");
      var name = document.createElement("b");
      var counts = document.createElement("span");
      item.setAttribute("data-channel", c.channel);
      name.textContent = "by " + c.label;
      counts.className = "channel-summary";
      counts.textContent = c.summary;
      item.appendChild(name);
      item.appendChild(document.createTextNode(": "));
      item.appendChild(counts);
      list.appendChild(item);
    });
    section.hidden = rows.length === 0;
  }

  function apply(p) {
    var total = Math.max(p.recipients, p.done + p.queued + p.sending);
    bar.setAttribute("aria-valuemax", total);
    bar.setAttribute("aria-valuenow", p.done);
    Array.prototype.forEach.call(bar.querySelectorAll("span[data-state]"), function (seg) {
      var n = p[seg.getAttribute("data-state")] || 0;
      seg.style.width = total ? (100 * n) / total + "%" : "0";
    });
    STATES.forEach(function (state) { set("count-" + state, count(p[state])); });
    set("progress-done", count(p.done));
    set("progress-recipients", count(p.recipients));
    channels(p.channels || []);
    set("alert-status", p.status);
    document.getElementById("alert-status").setAttribute("data-status", p.status);
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload(); // signed out or the server in trouble: show it
          return null;
        }
        return response.json();
      })
      .then(function (p) {
        if (p === null) return;
        apply(p);
        if (p.status !== drawn) window.location.reload();
        else if (LIVE[p.status]) window.setTimeout(poll, PERIOD_MS);
      })
      .catch(function () {
        window.setTimeout(poll, PERIOD_MS * 5); // the network blinked: try again later
      });
  }

  if (LIVE[drawn]) window.setTimeout(poll, PERIOD_MS);
})();
