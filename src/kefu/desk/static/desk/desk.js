/* Kefu desk: the few behaviours that need script. Everything works without it, only less smoothly. */
(function () {
  "use strict";

  function onReady(callback) {
    if (document.readyState !== "loading") callback();
    else document.addEventListener("DOMContentLoaded", callback);
  }

  // Phone width: the navigation slides in from the left.
  function setUpNavigation() {
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest("[data-nav-toggle]");
      if (toggle) {
        var open = document.body.classList.toggle("nav-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        return;
      }
      if (document.body.classList.contains("nav-open") && !event.target.closest(".sidebar")) {
        document.body.classList.remove("nav-open");
      }
    });
  }

  // A click outside an open menu closes it, as people expect from a menu.
  function setUpMenus() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.removeAttribute("open");
      });
    });
  }

  // Table rows that stand for one record open it when clicked anywhere.
  function setUpRowLinks() {
    document.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-href]");
      if (!row || event.target.closest("a, button, input")) return;
      window.location.assign(row.getAttribute("data-href"));
    });
  }

  // The desk's WebSocket: a small indicator says whether live updates reach this page.
  function setUpLiveIndicator() {
    var indicators = document.querySelectorAll("[data-live]");
    if (!indicators.length || !("WebSocket" in window)) return;
    var delay = 1000;
    function show(state) {
      indicators.forEach(function (indicator) {
        indicator.setAttribute("data-state", state);
        var label = indicator.getAttribute("data-label-" + state);
        if (label) indicator.querySelector("[data-live-label]").textContent = label;
      });
    }
    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket;
      try {
        socket = new WebSocket(scheme + window.location.host + indicators[0].getAttribute("data-live"));
      } catch (error) {
        show("closed");
        return;
      }
      socket.addEventListener("message", function (event) {
        try {
          var message = JSON.parse(event.data);
          if (message.type === "hello") { delay = 1000; show("open"); }
        } catch (error) { /* not for us */ }
      });
      socket.addEventListener("close", function () {
        show("closed");
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 60000);
      });
    }
    connect();
  }

  onReady(function () {
    setUpNavigation();
    setUpMenus();
    setUpRowLinks();
    setUpLiveIndicator();
  });
})();
