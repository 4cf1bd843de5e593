// Keeps the dashboard live without reloading the page: every few seconds the page is
// fetched again and its #live part swapped in, so the scroll position stays put and the
// screen does not flash. It waits while the tab is hidden or a control in #live has the
// focus (someone is about to press Acknowledge). Without JavaScript, the <noscript>
// meta refresh reloads the whole page instead.
(function () {
  "use strict";
  var PERIOD_MS = 10000;

  function busy(live) {
    var active = document.activeElement;
    return document.hidden || (active && active !== document.body && live.contains(active));
  }

  function refresh() {
    var live = document.getElementById("live");
    if (!live) return;
    if (busy(live)) {
      window.setTimeout(refresh, PERIOD_MS);
      return;
    }
    window.fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        // Signed out or the server in trouble: let the browser show what it is.
        if (response.redirected || !response.ok) {
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (fresh) live.replaceWith(document.adoptNode(fresh));
        window.setTimeout(refresh, PERIOD_MS);
      })
      .catch(function () {
        window.setTimeout(refresh, PERIOD_MS); // the network blinked: try again later
      });
  }

  if (window.fetch && window.DOMParser) {
    window.setTimeout(refresh, PERIOD_MS);
  }
})();
