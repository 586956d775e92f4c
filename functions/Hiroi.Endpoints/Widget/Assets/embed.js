// Hiroi chat widget v1. Embed: <script src=".../widget/v1/embed.js" integrity="sha384-…" crossorigin="anonymous"
// data-hiroi-key="wk_…" [data-hiroi-token="<signed token your server rendered>" | data-hiroi-token-url="/your/token/endpoint"]></script>
// A chat box in a Shadow DOM. It opens a session (solving the bot check's proof of work, or with a signed token the
// page's own server minted), sends heartbeats, and shows when the session ends.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var key = script.getAttribute("data-hiroi-key");
  var tokenUrl = script.getAttribute("data-hiroi-token-url");
  var pageToken = script.getAttribute("data-hiroi-token");
  var base = new URL(script.src).origin + "/widget/v1/keys/" + encodeURIComponent(key);
  var session = null;
  var heartbeat = null;

  var host = document.createElement("div");
  host.id = "hiroi-widget";
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  var box = document.createElement("section");
  box.setAttribute("part", "box");
  box.style.cssText = "position:fixed;bottom:16px;right:16px;width:320px;font:14px sans-serif;background:#fff;border:1px solid #ccc;border-radius:8px;padding:8px;box-shadow:0 2px 8px #0003";
  var log = document.createElement("div");
  log.className = "log";
  log.style.cssText = "height:240px;overflow:auto;margin-bottom:8px";
  var status = document.createElement("div");
  status.className = "status";
  status.style.cssText = "color:#666;font-size:12px;margin-bottom:4px";
  var form = document.createElement("form");
  var input = document.createElement("input");
  input.name = "text";
  input.autocomplete = "off";
  input.placeholder = "Type a message";
  input.style.cssText = "width:75%";
  var send = document.createElement("button");
  send.type = "submit";
  send.textContent = "Send";
  form.append(input, send);
  box.append(status, log, form);
  root.appendChild(box);

  function line(who, text) {
    var p = document.createElement("p");
    p.className = who;
    p.textContent = (who === "visitor" ? "You: " : who === "agent" ? "Agent: " : "") + text;
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  function ended(reason) {
    session = null;
    if (heartbeat) clearInterval(heartbeat);
    status.textContent = "Session ended: " + reason;
    host.setAttribute("data-state", "ended");
    input.disabled = send.disabled = true;
  }

  function call(path, body) {
    var headers = { "content-type": "application/json" };
    if (session) headers["x-widget-session"] = session;
    return fetch(base + path, { method: "POST", headers: headers, body: JSON.stringify(body || {}) }).then(function (r) {
      return r.text().then(function (t) {
        var json = t ? JSON.parse(t) : {};
        if (r.status === 410) ended(json.detail || "ended");
        if (!r.ok) throw new Error(json.detail || json.title || ("HTTP " + r.status));
        return json;
      });
    });
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }

  async function solve(challenge) {
    var encoder = new TextEncoder();
    for (var n = 0; ; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.challenge + ":" + n));
      if (zeroBits(new Uint8Array(digest)) >= challenge.bits) return String(n);
    }
  }

  function visitorId() {
    var id = null;
    try { id = localStorage.getItem("hiroi-visitor"); } catch (e) { /* storage blocked */ }
    if (!id) {
      id = hex(crypto.getRandomValues(new Uint8Array(12)));
      try { localStorage.setItem("hiroi-visitor", id); } catch (e) { /* storage blocked */ }
    }
    return id;
  }

  async function open() {
    status.textContent = "Connecting…";
    var challenge = await call("/challenge");
    var solution = challenge.challenge ? await solve(challenge) : null;
    var token = pageToken || null;
    if (!token && tokenUrl) token = (await (await fetch(tokenUrl, { method: "POST", credentials: "same-origin" })).json()).token;
    var opened = await call("/sessions", {
      visitorId: visitorId(), token: token, challenge: challenge.challenge, solution: solution, webdriver: navigator.webdriver === true,
    });
    session = opened.sessionToken;
    status.textContent = "Connected";
    host.setAttribute("data-state", "open");
    heartbeat = setInterval(function () { call("/heartbeat").catch(function () { /* ended() already shown on 410 */ }); }, opened.heartbeatSeconds * 1000);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || !session) return;
    input.value = "";
    line("visitor", text);
    call("/messages", { text: text }).then(function (r) { line("agent", r.reply); }, function (err) { line("system", err.message); });
  });

  open().catch(function (err) { status.textContent = "Could not connect: " + err.message; host.setAttribute("data-state", "refused"); });
})();
