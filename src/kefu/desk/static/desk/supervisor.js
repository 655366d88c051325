/* Kefu supervisor wall: re-read the wall when the desk socket says a queue or an agent changed,
 * and every few seconds for the clocks; never while the supervisor is choosing in a form. */
(function () {
  "use strict";

  var wall = document.getElementById("wall");
  if (!wall) return;
  var skew = new Date(wall.getAttribute("data-server-now")).getTime() - Date.now();
  var pending = null;
  var retryDelay = 1000;
  var PERIODIC_MS = 15000;
  var DEBOUNCE_MS = 400;

  function pad(number) { return (number < 10 ? "0" : "") + number; }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(seconds / 3600), minutes = Math.floor((seconds % 3600) / 60);
    return (hours ? hours + ":" + pad(minutes) : minutes) + ":" + pad(seconds % 60);
  }
  function tick() {
    var now = Date.now() + skew;
    wall.querySelectorAll("[data-since]").forEach(function (node) {
      var since = Date.parse(node.getAttribute("data-since"));
      if (!isNaN(since)) node.textContent = clock((now - since) / 1000);
    });
  }

  function busy() {
    var active = document.activeElement;
    return (active && wall.contains(active) && /^(SELECT|INPUT|TEXTAREA)$/.test(active.tagName)) ||
      wall.querySelector("details[open]") !== null || wall.querySelector(".htmx-request") !== null;
  }

  function refresh() {
    pending = null;
    if (busy()) { schedule(2000); return; }
    fetch(wall.getAttribute("data-wall-url"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
      .then(function (html) {
        if (busy()) { schedule(2000); return; }
        wall.innerHTML = html;
        if (window.htmx) window.htmx.process(wall);
        var stamp = document.querySelector("[data-wall-updated]");
        var inner = wall.querySelector("[data-now]");
        if (stamp && inner) {
          var at = new Date(inner.getAttribute("data-now"));
          stamp.textContent = pad(at.getHours()) + ":" + pad(at.getMinutes()) + ":" + pad(at.getSeconds());
        }
        tick();
      })
      .catch(function () { schedule(5000); });
  }
  function schedule(delay) {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(refresh, delay);
  }

  var LIVE_EVENTS = { "queue.changed": 1, "agent.state": 1, "offer": 1, "offer.withdrawn": 1 };
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/desk/");
    socket.onopen = function () { retryDelay = 1000; wall.setAttribute("data-live", "open"); schedule(DEBOUNCE_MS); };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (LIVE_EVENTS[message.type]) schedule(DEBOUNCE_MS);
    };
    socket.onclose = function () {
      wall.setAttribute("data-live", "closed");
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }

  tick();
  window.setInterval(tick, 1000);
  window.setInterval(function () { if (!pending) schedule(0); }, PERIODIC_MS);
  connect();
})();
