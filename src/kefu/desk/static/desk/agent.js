/* Kefu agent desktop: live offers, chats as tabs, clocks. The server renders every part; this
 * script listens on the desk socket and asks for fresh partials when an event says so. */
(function () {
  "use strict";

  var desk = document.getElementById("agent-desk");
  if (!desk) return;
  var data = desk.dataset;
  var skew = new Date(data.serverNow).getTime() - Date.now();
  var current = null; // the contact whose pane is shown
  var socket = null;
  var retryDelay = 1000;
  var followed = {};
  var baseTitle = document.title;

  function now() { return Date.now() + skew; }
  function urlFor(template, id) { return template.replace("/0/", "/" + id + "/"); }
  function byId(id) { return document.getElementById(id); }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "a" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // ---------- clocks ----------
  function pad(number) { return (number < 10 ? "0" : "") + number; }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(seconds / 3600), minutes = Math.floor((seconds % 3600) / 60);
    return (hours ? hours + ":" + pad(minutes) : minutes) + ":" + pad(seconds % 60);
  }
  function tick() {
    document.querySelectorAll("#agent-desk [data-since]").forEach(function (node) {
      var since = Date.parse(node.getAttribute("data-since"));
      if (!isNaN(since)) node.textContent = clock((now() - since) / 1000);
    });
    document.querySelectorAll("#offers [data-expires]").forEach(function (card) {
      var expires = Date.parse(card.getAttribute("data-expires"));
      if (isNaN(expires)) return;
      var total = parseFloat(card.getAttribute("data-total") || "0");
      var left = (expires - now()) / 1000;
      if (!total) { total = Math.max(left, 1); card.setAttribute("data-total", String(total)); }
      var countdown = card.querySelector("[data-countdown]");
      if (countdown) countdown.textContent = Math.max(0, Math.ceil(left)) + "s";
      var bar = card.querySelector(".offer-bar > i");
      if (bar) bar.style.width = Math.max(0, Math.min(100, (left / total) * 100)) + "%";
      card.classList.toggle("is-urgent", left <= 5);
      if (left <= 0 && !card.classList.contains("is-expired")) {
        card.classList.add("is-expired");
        card.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
        window.setTimeout(refreshOffers, 1500);
      }
    });
  }

  // ---------- talking to the server ----------
  function get(path) {
    return fetch(path, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    });
  }
  function post(path, fields) {
    // URL-encoded, not FormData: an empty multipart body is a malformed request to Django.
    var body = new URLSearchParams();
    Object.keys(fields || {}).forEach(function (key) { body.append(key, fields[key]); });
    return fetch(path, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": data.csrf } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          json.ok = response.ok;
          json.status = response.status;
          return json;
        });
      });
  }
  function replace(id, html) {
    var old = byId(id);
    if (!old) return null;
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) return null;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    return fresh;
  }

  function refreshState() { return get(data.stateUrl).then(function (html) { replace("agent-state", html); tick(); }); }
  function refreshOffers() {
    return get(data.offersUrl).then(function (html) {
      replace("offers", html);
      tick();
      var offers = document.querySelectorAll("#offers [data-offer]");
      document.title = offers.length ? "● " + data.labelNewOffer + " · " + baseTitle : baseTitle;
      if (!offers.length) showPop(current);
    });
  }
  function refreshContacts() {
    return get(data.contactsUrl).then(function (html) { replace("my-contacts", html); syncPanes(); tick(); });
  }

  // ---------- screen-pop ----------
  var popFor = null;
  function showPop(contactId) {
    if (contactId === popFor) return;
    popFor = contactId;
    if (!contactId) return;
    get(urlFor(data.popUrl, contactId)).then(function (html) {
      var holder = byId("screen-pop");
      if (!holder || popFor !== contactId) return;
      holder.innerHTML = html;
      if (window.htmx) window.htmx.process(holder);
    }).catch(function () { popFor = null; });
  }

  // ---------- panes and tabs ----------
  function tabIds() {
    return Array.prototype.map.call(document.querySelectorAll("#my-contacts [role=tab][data-contact]"), function (tab) {
      return tab.getAttribute("data-contact");
    });
  }
  function ensurePane(id) {
    if (byId("pane-" + id)) return;
    var pane = document.createElement("section");
    pane.className = "pane card is-loading";
    pane.id = "pane-" + id;
    pane.setAttribute("data-contact", id);
    pane.setAttribute("hx-get", urlFor(data.paneUrl, id));
    pane.setAttribute("hx-trigger", "load");
    pane.setAttribute("hx-swap", "outerHTML");
    pane.innerHTML = '<div class="pane-loading"><span class="spinner"></span></div>';
    byId("panes").appendChild(pane);
    if (window.htmx) window.htmx.process(pane);
  }
  function reloadPane(id) {
    var pane = byId("pane-" + id);
    if (!pane) { ensurePane(id); return; }
    get(urlFor(data.paneUrl, id)).then(function (html) { replace("pane-" + id, html); applySelection(); })
      .catch(function () { /* gone: the next contacts refresh removes it */ });
  }
  function syncPanes() {
    var ids = tabIds();
    ids.forEach(function (id) { ensurePane(id); follow(id); });
    document.querySelectorAll("#panes > .pane").forEach(function (pane) {
      var id = pane.getAttribute("data-contact");
      // A pane whose transfer/end request is still in flight stays: its answer replaces it (the
      // socket's "transferred" event and the list refresh it causes can arrive before that answer).
      if (ids.indexOf(id) === -1 && !pane.hasAttribute("data-closed") && !pane.querySelector(".htmx-request")) {
        pane.remove();
      }
    });
    if (!current || (ids.indexOf(current) === -1 && !byId("pane-" + current))) current = ids[0] || null;
    applySelection();
  }
  function applySelection() {
    var panes = document.querySelectorAll("#panes > .pane");
    panes.forEach(function (pane) { pane.hidden = pane.getAttribute("data-contact") !== current; });
    document.querySelectorAll("#my-contacts [role=tab]").forEach(function (tab) {
      var selected = tab.getAttribute("data-contact") === current;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      if (selected) { var badge = tab.querySelector(".unread"); if (badge) { badge.hidden = true; badge.textContent = ""; } }
    });
    byId("work-empty").hidden = panes.length > 0;
    // The knowledge search records which contact an article helped with.
    var kbContact = document.querySelector("[data-kb-contact]");
    if (kbContact) kbContact.value = current || "";
    if (!document.querySelector("#offers [data-offer]")) showPop(current);
    var pane = current && byId("pane-" + current);
    var transcript = pane && pane.querySelector("[data-transcript]");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
  }
  function select(id) {
    current = id;
    applySelection();
    var pane = byId("pane-" + id);
    var box = pane && pane.querySelector("[data-composer] textarea");
    if (box) box.focus();
  }

  // ---------- messages ----------
  function timeOf(iso) {
    var date = new Date(iso);
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function messageNode(payload, customerName) {
    var item = document.createElement("li");
    item.className = "msg msg-" + (payload.internal ? "system" : payload.sender);
    if (payload.id) item.setAttribute("data-id", String(payload.id));
    if (payload.client_id) item.setAttribute("data-client", payload.client_id);
    if (payload.internal) {
      var internal = document.createElement("span");
      internal.className = "msg-note msg-internal";
      var label = document.createElement("b");
      label.textContent = data.labelInternal;
      internal.appendChild(label);
      internal.appendChild(document.createTextNode(" · " + (payload.author ? payload.author + ": " : "") + payload.body));
      item.appendChild(internal);
      return item;
    }
    if (payload.sender === "system") {
      var note = document.createElement("span");
      note.className = "msg-note";
      note.textContent = (payload.author ? payload.author + " · " : "") + payload.body;
      item.appendChild(note);
      return item;
    }
    var body = document.createElement("div");
    body.className = "msg-body";
    body.textContent = payload.body;
    var meta = document.createElement("div");
    meta.className = "msg-meta";
    var who = payload.sender === "customer" ? customerName : (payload.author || "");
    var time = document.createElement("time");
    time.textContent = timeOf(payload.at);
    meta.textContent = who + " · ";
    meta.appendChild(time);
    item.appendChild(body);
    item.appendChild(meta);
    return item;
  }
  function transcriptOf(contactId) {
    var pane = byId("pane-" + contactId);
    return pane ? pane.querySelector("[data-transcript]") : null;
  }
  function showMessage(payload) {
    var id = String(payload.contact);
    var list = transcriptOf(id);
    if (!list) return;
    if (list.querySelector('[data-id="' + payload.id + '"]')) return;
    var pending = payload.client_id ? list.querySelector('[data-client="' + CSS.escape(payload.client_id) + '"]') : null;
    if (pending) {
      pending.classList.remove("is-pending", "is-failed");
      pending.setAttribute("data-id", String(payload.id));
    } else {
      list.appendChild(messageNode(payload, byId("pane-" + id).getAttribute("data-name") || ""));
    }
    list.scrollTop = list.scrollHeight;
    if (id !== current && payload.sender === "customer") {
      var badge = document.querySelector('#my-contacts [role=tab][data-contact="' + id + '"] .unread');
      if (badge) { badge.hidden = false; badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1); }
    }
  }
  function sendReply(pane, text, clientId, item) {
    var list = pane.querySelector("[data-transcript]");
    if (!item) {
      item = messageNode({ sender: "agent", body: text, client_id: clientId, at: new Date(now()).toISOString(), author: "" }, "");
      item.classList.add("is-pending");
      item.querySelector(".msg-meta").firstChild.textContent = data.labelSending + " · ";
      list.appendChild(item);
      list.scrollTop = list.scrollHeight;
    }
    item.classList.remove("is-failed");
    item.classList.add("is-pending");
    post(urlFor(data.sendUrl, pane.getAttribute("data-contact")), { body: text, client_id: clientId }).then(function (reply) {
      if (!reply.ok) throw new Error(reply.error || String(reply.status));
      item.classList.remove("is-pending");
      item.setAttribute("data-id", String(reply.id));
      item.querySelector(".msg-meta").firstChild.textContent = (reply.author || "") + " · ";
    }).catch(function () {
      item.classList.remove("is-pending");
      item.classList.add("is-failed");
      item.title = data.labelNotSent;
      item.onclick = function () { item.onclick = null; sendReply(pane, text, clientId, item); };
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-composer]");
    if (!form) return;
    event.preventDefault();
    var box = form.querySelector("textarea");
    var text = box.value.trim();
    if (!text) return;
    box.value = "";
    sendReply(form.closest(".pane"), text, newId(), null);
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target.closest && event.target.closest("[data-composer] textarea");
    if (box && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      box.form.requestSubmit();
    }
  });

  // ---------- softphone (calls): hold, resume, hang up through the voice gateway ----------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-softphone-action]");
    if (!button) return;
    var pane = button.closest("[data-contact]");
    var base = button.closest("[data-softphone]").getAttribute("data-softphone");
    button.disabled = true;
    post(base + button.getAttribute("data-softphone-action") + "/", {}).then(function (reply) {
      button.disabled = false;
      if (!reply.ok) { showToast(reply.error); return; }
      reloadPane(pane.getAttribute("data-contact"));
      refreshState();
    });
  });

  // ---------- offers ----------
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("#my-contacts [role=tab][data-contact]");
    if (tab) { select(tab.getAttribute("data-contact")); return; }
    var card = event.target.closest("#offers [data-offer]");
    if (!card) return;
    var entry = card.getAttribute("data-offer");
    var contact = card.getAttribute("data-contact");
    if (event.target.closest("[data-accept]")) {
      card.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      var answerUrl = event.target.closest("[data-accept]").getAttribute("data-softphone-answer");
      post(urlFor(data.acceptUrl, entry), {}).then(function (reply) {
        refreshOffers();
        if (!reply.ok) { showToast(reply.error); return; }
        // A call: the softphone asks the gateway to connect the caller to this agent.
        if (answerUrl) post(answerUrl, {}).then(function (answered) { if (!answered.ok) showToast(answered.error); });
        current = String(reply.contact);
        popFor = null;
        refreshContacts().then(function () { select(String(reply.contact)); });
      });
    } else if (event.target.closest("[data-decline]")) {
      card.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      post(urlFor(data.declineUrl, entry), {}).then(function (reply) {
        if (!reply.ok) showToast(reply.error);
        popFor = null;
        refreshOffers();
      });
    } else if (contact) {
      popFor = null;
      showPop(contact);
    }
  });

  function showToast(text) {
    if (!text) return;
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "alert");
    toast.textContent = text;
    document.body.appendChild(toast);
    window.setTimeout(function () { toast.remove(); }, 5000);
  }

  function chime() {
    try {
      var AudioContext = window.AudioContext || window.webkitAudioContext;
      var context = new AudioContext();
      [660, 880].forEach(function (frequency, index) {
        var tone = context.createOscillator(), gain = context.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.08, context.currentTime + index * 0.18);
        gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + index * 0.18 + 0.16);
        tone.connect(gain).connect(context.destination);
        tone.start(context.currentTime + index * 0.18);
        tone.stop(context.currentTime + index * 0.18 + 0.17);
      });
    } catch (error) { /* no sound: the card and the title still say it */ }
  }

  // ---------- the socket ----------
  function follow(id) {
    if (followed[id] || !socket || socket.readyState !== 1) return;
    followed[id] = true;
    socket.send(JSON.stringify({ type: "subscribe", contact: parseInt(id, 10) }));
  }
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/desk/");
    var reconnecting = retryDelay > 1000;
    socket.onopen = function () { retryDelay = 1000; followed = {}; tabIds().forEach(follow); };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      switch (message.type) {
        case "hello":
          desk.setAttribute("data-live", "open");
          if (reconnecting) { // what happened while the socket was down is in the database
            refreshState(); refreshOffers(); refreshContacts();
            tabIds().forEach(reloadPane);
          }
          break;
        case "offer":  // the offer made the agent busy too: no separate agent.state event comes
          refreshOffers();
          refreshState();
          popFor = null;
          showPop(String(message.contact));
          chime();
          break;
        case "offer.withdrawn":
          refreshOffers();
          break;
        case "agent.state":
          refreshState();
          break;
        case "chat.message":
          showMessage(message);
          break;
        case "chat.ended":
          reloadPane(String(message.contact));
          refreshContacts();
          if (String(message.contact) !== current) showToast(data.labelCustomerLeft);
          break;
        case "chat.transferred":
          refreshContacts();
          break;
        case "refused":
          delete followed[String(message.contact)];
          break;
      }
    };
    socket.onclose = function () {
      desk.setAttribute("data-live", "closed");
      followed = {};
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }

  // After an htmx swap (a pane loaded, ended, wrapped up, transferred) keep one pane in view.
  document.body.addEventListener("htmx:afterSettle", function () {
    applySelection();
    var closed = document.querySelectorAll("#panes > .pane[data-closed]");
    closed.forEach(function (pane) {
      if (pane.hasAttribute("data-closing")) return;
      pane.setAttribute("data-closing", "");
      window.setTimeout(function () {
        pane.remove();
        if (current === pane.getAttribute("data-contact")) current = tabIds()[0] || null;
        applySelection();
      }, 2500);
    });
  });
  document.body.addEventListener("kefu:contacts-changed", function () { refreshContacts(); refreshState(); });
  // A failed request from a pane (network, server error) leaves it as it was: let the list decide.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful && event.target.closest && event.target.closest("#panes")) refreshContacts();
  });

  syncPanes();
  tick();
  window.setInterval(tick, 1000);
  connect();
})();
