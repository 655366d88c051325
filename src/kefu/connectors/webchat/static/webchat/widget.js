/* Kefu web chat widget (在线客服). Embed on any page:
 *
 *   <script src="https://kefu.example.com/chat/widget.js" data-kefu="https://kefu.example.com" defer></script>
 *
 * Optional attributes: data-queue (a chat queue's code), data-customer (the portal's signed
 * identity of a signed-in customer, see transport.portal_identity), data-title, data-lang
 * ("zh" or "en"), data-open ("true").
 *
 * The chat survives a dropped connection or a page reload: the browser keeps the chat's resume
 * token, the id of the last message it saw, and every message it sent but has no
 * acknowledgement for. On reconnect it asks for what it missed and resends the rest under the
 * same client ids; the server stores each message once.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.KefuChat) return;
  var host = (script.getAttribute("data-kefu") || new URL(script.src, window.location.href).origin).replace(/\/+$/, "");
  var queue = script.getAttribute("data-queue") || "";
  var customerPass = script.getAttribute("data-customer") || "";
  var wantedLang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "zh").toLowerCase();
  var lang = wantedLang.indexOf("en") === 0 ? "en" : "zh";

  var TEXT = {
    zh: {
      title: "在线客服", launcher: "在线客服", close: "收起", end: "结束会话",
      greeting: "您好，欢迎咨询！留下称呼，我们马上为您接通人工客服。",
      name: "您的称呼", namePlaceholder: "例如：张先生",
      phone: "手机号（选填）", phoneHelp: "填写后客服可直接查询您的业务",
      question: "您想咨询什么？", questionPlaceholder: "例如：宽带连不上网",
      start: "开始咨询", starting: "正在接入…",
      placeholder: "输入消息，Enter 发送", send: "发送",
      queued: function (p, w) { return "排队中：您前面还有 " + (p - 1) + " 位，预计等待 " + w; },
      queuedFirst: function (w) { return "马上轮到您，预计等待 " + w; },
      offered: "正在为您接通客服…",
      serving: function (a) { return "客服 " + a + " 正在为您服务"; },
      joined: function (a) { return "客服 " + a + " 已接入，为您服务"; },
      transferred: "正在为您转接其他客服，请稍候…",
      ended: "会话已结束", abandoned: "会话已结束",
      sending: "发送中", failed: "未发出", you: "我",
      reconnecting: "连接中断，正在重新连接…",
      rateTitle: "请为本次服务评分", rateComment: "还有什么想告诉我们的？（选填）", rateSubmit: "提交评价",
      thanks: "感谢您的评价！", rated: function (r) { return "您的评分：" + r + " 星"; },
      newChat: "重新咨询", confirmEnd: "确定结束本次会话吗？",
      stars: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
      minutes: function (s) { return s < 60 ? "不到 1 分钟" : Math.round(s / 60) + " 分钟"; },
      error: "暂时无法接入，请稍后再试。"
    },
    en: {
      title: "Online service", launcher: "Chat with us", close: "Minimise", end: "End chat",
      greeting: "Hello! Tell us your name and we will connect you to an agent.",
      name: "Your name", namePlaceholder: "e.g. Mr Zhang",
      phone: "Mobile number (optional)", phoneHelp: "Lets the agent look up your services",
      question: "How can we help?", questionPlaceholder: "e.g. My broadband is down",
      start: "Start chat", starting: "Connecting…",
      placeholder: "Type a message, Enter to send", send: "Send",
      queued: function (p, w) { return (p - 1) + " ahead of you, about " + w; },
      queuedFirst: function (w) { return "You are next, about " + w; },
      offered: "Connecting you to an agent…",
      serving: function (a) { return a + " is helping you"; },
      joined: function (a) { return a + " joined the chat"; },
      transferred: "Transferring you to another agent…",
      ended: "The chat has ended", abandoned: "The chat has ended",
      sending: "Sending", failed: "Not sent", you: "Me",
      reconnecting: "Connection lost, reconnecting…",
      rateTitle: "How did we do?", rateComment: "Anything else to tell us? (optional)", rateSubmit: "Send rating",
      thanks: "Thank you for your rating!", rated: function (r) { return "You rated " + r + " of 5"; },
      newChat: "New chat", confirmEnd: "End this chat?",
      stars: ["Very poor", "Poor", "OK", "Good", "Excellent"],
      minutes: function (s) { return s < 60 ? "under a minute" : Math.round(s / 60) + " min"; },
      error: "We cannot connect you right now. Please try again later."
    }
  }[lang];

  var STORE_KEY = "kefu-chat:" + host;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE_KEY)) || {}; } catch (error) { return {}; }
  }
  function save() {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(store)); } catch (error) { /* private mode */ }
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // What survives a reload: the chat's token, the last message id seen, the unacknowledged outbox.
  var store = load();
  store.outbox = store.outbox || [];
  var socket = null;
  var retryDelay = 1000;
  var stateTimer = null;
  var pingTimer = null;
  var PING_INTERVAL = 60000;
  var seen = {};
  var state = null;

  // ---------- DOM ----------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  var ICON_CHAT = '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L3 21l1.9-6.4A8 8 0 1 1 21 12z"/><path d="M8 11h.01M12 11h.01M16 11h.01"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4z"/></svg>';

  var root = el("div", { id: "kefu-chat" });
  var shadow = root.attachShadow ? root.attachShadow({ mode: "open" }) : root;
  shadow.appendChild(el("link", { rel: "stylesheet", href: host + "/chat/widget.css" }));

  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "kefu-panel" });
  launcher.innerHTML = ICON_CHAT;
  launcher.appendChild(el("span", { text: TEXT.launcher }));
  var unreadBadge = el("b", { "class": "unread", hidden: "" });
  launcher.appendChild(unreadBadge);

  var statusLine = el("p", { "class": "status", role: "status", "aria-live": "polite" });
  var endButton = el("button", { type: "button", "class": "link end", text: TEXT.end, hidden: "", onclick: endChat });
  var closeButton = el("button", { type: "button", "class": "icon close", "aria-label": TEXT.close, onclick: function () { toggle(false); } });
  closeButton.innerHTML = ICON_CLOSE;
  var header = el("header", {}, [
    el("span", { "class": "mark", "aria-hidden": "true", text: "客" }),
    el("div", { "class": "heading" }, [el("h2", { text: script.getAttribute("data-title") || TEXT.title }), statusLine]),
    endButton,
    closeButton
  ]);
  var banner = el("div", { "class": "banner", hidden: "" });
  var offline = el("div", { "class": "offline", hidden: "", text: TEXT.reconnecting });
  var log = el("ol", { "class": "log", "aria-live": "polite", "aria-label": TEXT.title });
  var body = el("div", { "class": "body" });
  var footer = el("footer", {});
  var panel = el("section", { id: "kefu-panel", "class": "panel", role: "dialog", "aria-label": TEXT.title, hidden: "" }, [
    header, banner, offline, body, footer
  ]);
  shadow.appendChild(panel);
  shadow.appendChild(launcher);
  launcher.addEventListener("click", function () { toggle(panel.hidden); });

  function toggle(open) {
    panel.hidden = !open;
    store.open = open;
    save();
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("is-open", open);
    launcher.hidden = open && window.matchMedia("(max-width: 480px)").matches;
    if (open) {
      unreadBadge.hidden = true;
      unreadBadge.textContent = "";
      var focusable = panel.querySelector("textarea, input");
      if (focusable) focusable.focus();
      log.scrollTop = log.scrollHeight;
    }
  }

  // ---------- the start form ----------
  function showStartForm(errorText) {
    body.innerHTML = "";
    footer.innerHTML = "";
    endButton.hidden = true;
    statusLine.textContent = "";
    banner.hidden = true;
    var name = el("input", { id: "kefu-name", name: "name", autocomplete: "name", maxlength: "40", placeholder: TEXT.namePlaceholder, required: "" });
    var phone = el("input", { id: "kefu-phone", name: "phone", type: "tel", autocomplete: "tel", maxlength: "20", inputmode: "tel" });
    var question = el("textarea", { id: "kefu-question", name: "question", rows: "3", maxlength: "500", placeholder: TEXT.questionPlaceholder });
    if (store.name) name.value = store.name;
    var error = el("p", { "class": "error", role: "alert", text: errorText || "" });
    var submit = el("button", { type: "submit", "class": "primary", text: TEXT.start });
    var form = el("form", { "class": "start", novalidate: "" }, [
      el("p", { "class": "greeting", text: TEXT.greeting }),
      el("label", { "for": "kefu-name", text: TEXT.name }), name,
      el("label", { "for": "kefu-phone", text: TEXT.phone }), phone,
      el("small", { text: TEXT.phoneHelp }),
      el("label", { "for": "kefu-question", text: TEXT.question }), question,
      error, submit
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!name.value.trim() && !customerPass) { name.focus(); name.setAttribute("aria-invalid", "true"); return; }
      submit.disabled = true;
      submit.textContent = TEXT.starting;
      store.name = name.value.trim();
      store.requestId = store.requestId || newId();
      save();
      startChat({ request_id: store.requestId, name: name.value, phone: phone.value, question: question.value,
        queue: queue, customer: customerPass }, function (ok, message) {
        if (!ok) showStartForm(message || TEXT.error);
      });
    });
    body.appendChild(form);
  }

  function post(path, data, done) {
    var request = new XMLHttpRequest();
    request.open("POST", host + path);
    request.setRequestHeader("Content-Type", "application/json");
    request.onload = function () {
      var reply = {};
      try { reply = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
      done(request.status < 400, reply);
    };
    request.onerror = function () { done(false, {}); };
    request.send(JSON.stringify(data));
  }

  function startChat(data, done) {
    post("/chat/api/start/", data, function (ok, reply) {
      if (!ok || !reply.token) { done(false, reply.error); return; }
      store.token = reply.token;
      store.lastId = 0;
      store.requestId = null;
      save();
      showConversation();
      onHello({ state: reply.state, messages: reply.messages });
      connect();
      done(true);
    });
  }

  // ---------- the conversation ----------
  var composer, input;

  function showConversation() {
    body.innerHTML = "";
    footer.innerHTML = "";
    body.appendChild(log);
    input = el("textarea", { rows: "1", maxlength: "4000", placeholder: TEXT.placeholder, "aria-label": TEXT.placeholder });
    var sendButton = el("button", { type: "submit", "class": "send", "aria-label": TEXT.send });
    sendButton.innerHTML = ICON_SEND;
    composer = el("form", { "class": "composer" }, [input, sendButton]);
    composer.addEventListener("submit", function (event) { event.preventDefault(); sendMessage(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendMessage(); }
    });
    input.addEventListener("input", function () {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 120) + "px";
    });
    footer.appendChild(composer);
    endButton.hidden = false;
  }

  function timeOf(iso) {
    var date = iso ? new Date(iso) : new Date();
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function addNote(text) {
    log.appendChild(el("li", { "class": "note", text: text }));
    log.scrollTop = log.scrollHeight;
  }

  function bubble(message, pending) {
    var mine = message.sender === "customer";
    var meta = el("span", { "class": "meta" }, [
      el("span", { text: mine ? "" : (message.author || TEXT.title) }),
      el("time", { text: timeOf(message.at) })
    ]);
    var item = el("li", { "class": "msg " + (mine ? "mine" : "theirs") + (pending ? " is-pending" : "") }, [
      el("div", { "class": "text", text: message.body }), meta
    ]);
    if (message.client_id) item.setAttribute("data-client", message.client_id);
    if (message.id) item.setAttribute("data-id", String(message.id));
    return item;
  }

  function showMessage(message) {
    if (message.id && seen[message.id]) return;
    if (message.id) {
      seen[message.id] = true;
      store.lastId = Math.max(store.lastId || 0, message.id);
    }
    var pending = message.client_id ? log.querySelector('[data-client="' + cssEscape(message.client_id) + '"]') : null;
    if (pending) {
      pending.classList.remove("is-pending", "is-failed");
      pending.setAttribute("data-id", String(message.id));
      forget(message.client_id);
    } else {
      log.appendChild(bubble(message, false));
      if (message.sender !== "customer" && panel.hidden) {
        unreadBadge.hidden = false;
        unreadBadge.textContent = String((parseInt(unreadBadge.textContent, 10) || 0) + 1);
      }
    }
    log.scrollTop = log.scrollHeight;
    save();
  }

  function cssEscape(value) { return String(value).replace(/["\\]/g, "\\$&"); }

  function forget(clientId) {
    store.outbox = store.outbox.filter(function (entry) { return entry.client_id !== clientId; });
    save();
  }

  function sendMessage() {
    var text = input.value.trim();
    if (!text) return;
    var entry = { client_id: newId(), body: text, at: new Date().toISOString() };
    store.outbox.push(entry);
    save();
    log.appendChild(bubble({ sender: "customer", body: text, client_id: entry.client_id, at: entry.at }, true));
    log.scrollTop = log.scrollHeight;
    input.value = "";
    input.style.height = "auto";
    transmit(entry);
  }

  function transmit(entry) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "message", client_id: entry.client_id, body: entry.body }));
    } // else: it stays in the outbox and goes out when the socket is back
  }

  function onHello(message) {
    (message.messages || []).forEach(showMessage);
    // Messages written while offline (or whose acknowledgement was lost) are not on the
    // server's list: show them as pending and send them again under the same client ids.
    store.outbox.forEach(function (entry) {
      if (!log.querySelector('[data-client="' + cssEscape(entry.client_id) + '"]')) {
        log.appendChild(bubble({ sender: "customer", body: entry.body, client_id: entry.client_id, at: entry.at }, true));
      }
      transmit(entry);
    });
    onState(message.state);
  }

  function formatWait(seconds) { return TEXT.minutes(seconds || 0); }

  function onState(next) {
    if (!next) return;
    var previous = state;
    state = next;
    var status = next.status;
    banner.hidden = true;
    root.setAttribute("data-status", status);
    if (status === "queued" || status === "new") {
      statusLine.textContent = TEXT.offered;
      if (next.position) {
        banner.hidden = false;
        banner.textContent = next.position > 1 ? TEXT.queued(next.position, formatWait(next.expected_wait))
          : TEXT.queuedFirst(formatWait(next.expected_wait));
        statusLine.textContent = banner.textContent;
      }
    } else if (status === "offered") {
      statusLine.textContent = TEXT.offered;
    } else if (status === "active") {
      statusLine.textContent = TEXT.serving(next.agent);
    } else {
      statusLine.textContent = TEXT.ended;
      showEnded();
    }
    var waiting = status === "queued" || status === "offered" || status === "new";
    if (waiting && !stateTimer) {
      stateTimer = window.setInterval(function () {
        if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "state" }));
      }, 10000);
    } else if (!waiting && stateTimer) {
      window.clearInterval(stateTimer);
      stateTimer = null;
    }
    if (previous && previous.status !== status && status === "active" && next.agent) addNote(TEXT.joined(next.agent));
  }

  function showEnded() {
    endButton.hidden = true;
    footer.innerHTML = "";
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    if (!state || !state.answered) {
      footer.appendChild(el("div", { "class": "done" }, [
        el("button", { type: "button", "class": "primary", text: TEXT.newChat, onclick: resetChat })
      ]));
      return;
    }
    if (state.rating) {
      footer.appendChild(el("div", { "class": "done" }, [
        el("p", { text: TEXT.rated(state.rating) }),
        el("button", { type: "button", "class": "secondary", text: TEXT.newChat, onclick: resetChat })
      ]));
      return;
    }
    var chosen = 0;
    var stars = el("div", { "class": "stars", role: "radiogroup", "aria-label": TEXT.rateTitle });
    var caption = el("span", { "class": "caption", text: "" });
    TEXT.stars.forEach(function (label, index) {
      var star = el("button", { type: "button", role: "radio", "aria-checked": "false", "aria-label": (index + 1) + " · " + label, text: "★" });
      star.addEventListener("click", function () {
        chosen = index + 1;
        stars.querySelectorAll("button").forEach(function (button, position) {
          button.setAttribute("aria-checked", position === index ? "true" : "false");
          button.classList.toggle("is-on", position <= index);
        });
        caption.textContent = label;
        submit.disabled = false;
      });
      stars.appendChild(star);
    });
    var comment = el("textarea", { rows: "2", maxlength: "300", placeholder: TEXT.rateComment, "aria-label": TEXT.rateComment });
    var submit = el("button", { type: "submit", "class": "primary", text: TEXT.rateSubmit, disabled: "" });
    var form = el("form", { "class": "rating" }, [el("h3", { text: TEXT.rateTitle }), stars, caption, comment, submit]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen) return;
      submit.disabled = true;
      post("/chat/api/" + store.token + "/rating/", { rating: chosen, comment: comment.value }, function (ok, reply) {
        if (ok) {
          state.rating = chosen;
          footer.innerHTML = "";
          footer.appendChild(el("div", { "class": "done" }, [
            el("p", { "class": "thanks", text: TEXT.thanks }),
            el("button", { type: "button", "class": "secondary", text: TEXT.newChat, onclick: resetChat })
          ]));
        } else {
          submit.disabled = false;
          caption.textContent = reply.error || TEXT.error;
        }
      });
    });
    footer.appendChild(form);
  }

  function endChat() {
    if (!store.token || !window.confirm(TEXT.confirmEnd)) return;
    post("/chat/api/" + store.token + "/end/", {}, function (ok, reply) { if (ok) onState(reply.state); });
  }

  function resetChat() {
    store = { outbox: [], name: store.name };
    save();
    seen = {};
    state = null;
    log.innerHTML = "";
    showStartForm();
  }

  // ---------- the socket ----------
  function connect() {
    if (!store.token) return;
    var url = host.replace(/^http/, "ws") + "/ws/chat/" + encodeURIComponent(store.token) + "/?after=" + (store.lastId || 0);
    try { socket = new WebSocket(url); } catch (error) { scheduleReconnect(); return; }
    socket.onopen = function () {
      retryDelay = 1000;
      offline.hidden = true;
      // A sign of life while the page is open: the server ends chats whose customer has left.
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_INTERVAL);
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "hello") onHello(message);
      else if (message.type === "chat.message") showMessage(message);
      else if (message.type === "ack") {
        var item = log.querySelector('[data-client="' + cssEscape(message.client_id) + '"]');
        if (item) { item.classList.remove("is-pending"); item.setAttribute("data-id", String(message.id)); }
        seen[message.id] = true;
        store.lastId = Math.max(store.lastId || 0, message.id);
        forget(message.client_id);
      } else if (message.type === "error") {
        var failed = log.querySelector('[data-client="' + cssEscape(message.client_id) + '"]');
        if (failed) { failed.classList.remove("is-pending"); failed.classList.add("is-failed"); failed.title = message.message || TEXT.failed; }
        forget(message.client_id);
      } else if (message.type === "state") onState(message.state);
      else if (message.type === "chat.transferred") addNote(TEXT.transferred);
      else if (message.type === "chat.ended") addNote(TEXT.ended);
    };
    socket.onclose = function (event) {
      socket = null;
      window.clearInterval(pingTimer);
      if (event.code === 4404) { resetChat(); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    offline.hidden = false;
    window.setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  // ---------- start ----------
  function resume() {
    showConversation();
    var request = new XMLHttpRequest();
    request.open("GET", host + "/chat/api/" + encodeURIComponent(store.token) + "/");
    request.onload = function () {
      if (request.status === 404) { resetChat(); return; }
      connect(); // the socket's hello brings the transcript and the state
    };
    request.onerror = function () { connect(); };
    request.send();
  }

  function mount() {
    document.body.appendChild(root);
    if (store.token) resume();
    else showStartForm();
    if (script.getAttribute("data-open") === "true" || store.open) toggle(true);
  }

  window.KefuChat = { open: function () { toggle(true); }, close: function () { toggle(false); } };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
