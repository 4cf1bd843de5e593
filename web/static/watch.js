// The control room at 3 a.m.: every console page polls /watch (the open sightings and
// the escalation stage each has reached). A ref not seen before, or seen at a lower stage,
// puts "(1) New sighting" in the title, a red dot on the favicon and a notice at the top
// of the page, and plays a short tone once the operator has pressed "Sound on" (browsers
// let a page make sound only after a click on it). What has been seen is kept in
// localStorage, so moving between pages neither repeats nor loses an alarm; "Seen",
// opening that sighting's page, or the report being taken clears it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.localStorage) return;
  var url = script.getAttribute("data-url");
  var plainIcon = script.getAttribute("data-icon");
  var alertIcon = script.getAttribute("data-icon-alert");
  var sightingsUrl = script.getAttribute("data-sightings");
  var PERIOD_MS = window.smsgwWatchPeriodMs || 5000; // tests set a shorter period
  var SEEN = "smsgw.watch.seen"; // {ref: stage} the operator has seen
  var SOUNDED = "smsgw.watch.sounded"; // {ref: stage} a tone was played for
  var SOUND = "smsgw.watch.sound"; // "on" once the operator asked for sound
  var STAGES = ["primary", "backup", "desk"];
  var title = document.title;
  var open = null; // the last feed: [{ref, stage, hot}]
  var audio = null;

  function load(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* private mode or full: the alarm still shows on this page */
    }
  }

  function mapOf(list) {
    var out = {};
    list.forEach(function (o) {
      out[o.ref] = o.stage;
    });
    return out;
  }

  function pending(seen) {
    return open.filter(function (o) {
      return !(o.ref in seen) || seen[o.ref] < o.stage;
    });
  }

  // ---- sound: Web Audio, no file; allowed once the page has had a click
  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    return audio;
  }

  function soundWanted() {
    return window.localStorage.getItem(SOUND) === "on";
  }

  function tone() {
    var ctx = context();
    if (!ctx || ctx.state !== "running") return false;
    [880, 660, 880].forEach(function (hz, i) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      var at = ctx.currentTime + i * 0.18;
      osc.type = "sine";
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.17);
    });
    document.documentElement.setAttribute(
      "data-watch-tones",
      String(Number(document.documentElement.getAttribute("data-watch-tones") || 0) + 1)
    );
    return true;
  }

  var button = document.createElement("button");
  button.type = "button";
  button.id = "sound-toggle";

  function drawButton() {
    var playing = soundWanted() && audio && audio.state === "running";
    button.textContent = playing ? "Sound off" : "Sound on";
    button.setAttribute("aria-pressed", playing ? "true" : "false");
    button.title = playing
      ? "A tone plays for a new or escalated sighting"
      : "Let this page play a tone for a new or escalated sighting";
  }

  function resume() {
    var ctx = context();
    if (!ctx) return Promise.resolve();
    return (ctx.state === "running" ? Promise.resolve() : ctx.resume()).then(drawButton, drawButton);
  }

  button.addEventListener("click", function (event) {
    event.stopPropagation();
    if (soundWanted() && audio && audio.state === "running") {
      window.localStorage.setItem(SOUND, "off");
      drawButton();
      return;
    }
    window.localStorage.setItem(SOUND, "on");
    resume().then(tone); // the tone says it works
  });
  // Sound was turned on on another page: the first click or key here lets this one play.
  ["pointerdown", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () {
      if (soundWanted()) resume();
    }, { once: true, capture: true });
  });

  // ---- the notice at the top of the page
  var notice = document.createElement("div");
  notice.id = "watch-alert";
  notice.setAttribute("role", "alert");
  notice.hidden = true;

  function describe(o, seen) {
    if (!(o.ref in seen)) return "New sighting " + o.ref + (o.hot ? " (HOT)" : "");
    return o.ref + " escalated to " + (STAGES[o.stage] || "the desk");
  }

  function link(text, href) {
    var a = document.createElement("a");
    a.textContent = text;
    a.href = href;
    return a;
  }

  function drawNotice(news, seen) {
    while (notice.firstChild) notice.removeChild(notice.firstChild);
    notice.hidden = news.length === 0;
    if (!news.length) return;
    news.slice(0, 5).forEach(function (o, i) {
      if (i) notice.appendChild(document.createTextNode("; "));
      notice.appendChild(link(describe(o, seen), sightingsUrl + o.ref));
    });
    if (news.length > 5) notice.appendChild(document.createTextNode(" and " + (news.length - 5) + " more"));
    var done = document.createElement("button");
    done.type = "button";
    done.id = "watch-seen";
    done.textContent = "Seen";
    done.addEventListener("click", function () {
      var mark = load(SEEN) || {};
      open.forEach(function (o) {
        mark[o.ref] = o.stage;
      });
      save(SEEN, mark);
      draw();
    });
    notice.appendChild(document.createTextNode(" "));
    notice.appendChild(done);
  }

  function setIcon(href) {
    var icon = document.getElementById("favicon");
    if (icon && icon.getAttribute("href") !== href) icon.setAttribute("href", href);
  }

  function draw() {
    if (!open) return;
    var seen = load(SEEN) || {};
    var news = pending(seen);
    var fresh = news.filter(function (o) {
      return !(o.ref in seen);
    });
    if (news.length) {
      var what = fresh.length ? "New sighting" : "Sighting escalated";
      document.title = "(" + news.length + ") " + what + " \u2014 smsgw";
    } else {
      document.title = title;
    }
    setIcon(news.length ? alertIcon : plainIcon);
    drawNotice(news, seen);
  }

  // One tone per report and stage, whichever page or tab hears of it first.
  function soundFor() {
    var sounded = load(SOUNDED) || mapOf(open);
    var due = pending(sounded).length > 0;
    var next = {}; // only refs still open are kept: a report taken never opens again
    open.forEach(function (o) {
      next[o.ref] = Math.max(o.stage, o.ref in sounded ? sounded[o.ref] : -1);
    });
    save(SOUNDED, next);
    if (due && soundWanted()) tone();
  }

  function take(feed) {
    open = feed.open;
    var seen = load(SEEN);
    if (seen === null) {
      seen = mapOf(open); // the first page ever opened here: what is open now is known
    } else {
      var kept = {};
      open.forEach(function (o) {
        if (o.ref in seen) kept[o.ref] = seen[o.ref];
      });
      seen = kept;
    }
    var here = /\/sightings\/(S\d+)$/i.exec(window.location.pathname);
    if (here && document.visibilityState === "visible") {
      open.forEach(function (o) {
        if (o.ref === here[1].toUpperCase()) seen[o.ref] = o.stage; // being read now
      });
    }
    save(SEEN, seen);
    soundFor();
    draw();
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        // Signed out: the next page load shows the login; stop asking until then.
        if (response.redirected || response.status === 401 || response.status === 403) return null;
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (feed) {
        if (feed === null) return;
        take(feed);
        window.setTimeout(poll, PERIOD_MS);
      })
      .catch(function () {
        window.setTimeout(poll, PERIOD_MS * 2); // the network blinked: try again later
      });
  }

  function place() {
    var header = document.querySelector("header");
    var form = header && header.querySelector("form");
    if (header) header.insertBefore(button, form);
    var main = document.querySelector("main");
    if (main) main.insertBefore(notice, main.firstChild);
    drawButton();
  }

  window.addEventListener("storage", function (event) {
    if (event.key === SEEN) draw(); // "Seen" pressed in another tab
    if (event.key === SOUND) drawButton();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
  poll();
})();
