// The demo simulator: chat as a member, watch the leaders' phones, follow
// the script. Plain JS, no build step; it polls the demo server's JSON.
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const member = $("#member");
  const log = $("#chat-log");
  const chatError = $("#chat-error");
  let lastChat = "";
  let phoneUser = "";
  const phones = {}; // userid -> last /demo/phone answer

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Times show in the office's time zone, whatever the visitor's.
  const tz = document.body.dataset.tz || undefined;
  function hhmm(iso) {
    const d = new Date(iso);
    try {
      return d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: tz });
    } catch (e) {
      return d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
    }
  }

  function showError(p, msg) {
    p.textContent = msg || "";
    p.hidden = !msg;
  }

  async function postJSON(url, body, headers) {
    const resp = await fetch(url, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) throw new Error(data.error || resp.status + " " + resp.statusText);
    return data;
  }

  // ---- chat ----
  async function send(as, text) {
    showError(chatError, "");
    try {
      await postJSON("/demo/chat", { as: as, text: text });
    } catch (e) {
      showError(chatError, "发送失败：" + e.message);
    }
    refreshChat();
  }

  async function clickCard(card, button) {
    showError(chatError, "");
    try {
      await postJSON("/demo/card", {
        as: member.value, key: button.key, task_id: card.task_id,
        response_code: card.response_code || "", card_type: card.card_type || "",
      });
    } catch (e) {
      showError(chatError, "点击失败：" + e.message);
    }
    refreshChat();
  }

  function renderItem(it) {
    const li = el("div", { class: "msg " + it.from, "data-type": it.type });
    li.appendChild(el("span", { class: "time" }, hhmm(it.at)));
    if (it.card) {
      const c = it.card;
      const box = el("div", { class: "card", "data-task": c.task_id });
      box.appendChild(el("div", { class: "card-title" }, c.title));
      if (c.desc) box.appendChild(el("div", { class: "card-desc" }, c.desc));
      if (c.body) box.appendChild(el("div", { class: "card-body" }, c.body));
      if (c.replaced) {
        box.appendChild(el("div", { class: "card-replaced" }, c.replaced));
      } else {
        const row = el("div", { class: "card-buttons" });
        for (const b of c.buttons || []) {
          const btn = el("button", { type: "button", "data-card-key": b.key }, b.text);
          btn.addEventListener("click", () => clickCard(c, b));
          row.appendChild(btn);
        }
        box.appendChild(row);
      }
      li.appendChild(box);
    } else {
      li.appendChild(el("div", { class: "text" }, it.text));
    }
    return li;
  }

  async function refreshChat() {
    const as = member.value;
    let items;
    try {
      const resp = await fetch("/demo/messages?as=" + encodeURIComponent(as));
      items = await resp.json();
      if (!resp.ok) throw new Error(items.error);
    } catch (e) {
      return;
    }
    if (as !== member.value) return;
    const key = as + JSON.stringify(items);
    if (key === lastChat) return;
    lastChat = key;
    log.replaceChildren(...items.map(renderItem));
    log.scrollTop = log.scrollHeight;
  }

  $("#chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(member.value, text);
  });
  member.addEventListener("change", () => { lastChat = ""; log.replaceChildren(); refreshChat(); });

  // ---- script ----
  for (const b of document.querySelectorAll("button[data-do-as]")) {
    b.addEventListener("click", () => {
      member.value = b.dataset.doAs;
      lastChat = "";
      send(b.dataset.doAs, b.dataset.doText);
    });
  }

  const story = $(".story");
  function tickStory() {
    const absence = new Date(story.dataset.absenceAt);
    const start = new Date(story.dataset.storyStart);
    const now = new Date();
    const out = $("#story-countdown");
    const left = (t) => {
      const s = Math.max(0, Math.round((t - now) / 1000));
      return Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
    };
    if (now < start) out.textContent = "距开班 " + left(start);
    else if (now < absence) out.textContent = "距空岗告警 " + left(absence);
    else out.textContent = "空岗告警时间已到";
  }

  async function refreshStatus() {
    try {
      const s = await (await fetch("/demo/status")).json();
      $("#leaders-on-duty").textContent = (s.leaders_on_duty || []).join("、") || "无";
    } catch (e) { /* keep the last */ }
  }

  // ---- phones ----
  const tabs = document.querySelectorAll("#phone-tabs button[data-phone]");
  for (const t of tabs) {
    t.addEventListener("click", () => selectPhone(t.dataset.phone));
  }

  function selectPhone(user) {
    phoneUser = user;
    for (const t of tabs) t.classList.toggle("active", t.dataset.phone === user);
    renderPhone();
  }

  async function ack(p, push, btn) {
    showError($("#phone-error"), "");
    btn.disabled = true;
    try {
      // The real app API, with the credential the phone got when it paired.
      await postJSON("/api/v1/acks", { escalation_id: push.escalation_id },
        { Authorization: "Device " + p.phone.device_id + ":" + p.phone.secret });
    } catch (e) {
      showError($("#phone-error"), "确认失败：" + e.message);
      btn.disabled = false;
    }
    refreshPhones();
  }

  const statusText = { open: "待确认", acked: "已确认", resolved: "已解除", closed: "已结束", exhausted: "无人确认" };

  // renderPhone updates the pane in place: a push's element is rebuilt only
  // when its state changed (the countdown text is refreshed on its own), so
  // a button being tapped is never swapped out from under the finger.
  function renderPhone() {
    const p = phones[phoneUser];
    const list = $("#phone-pushes");
    if (!p) { list.replaceChildren(); return; }
    $("#phone-label").textContent = p.label;
    $("#phone-empty").hidden = p.pushes.length > 0;
    const now = new Date();
    const old = {};
    for (const li of list.children) old[li.dataset.escalation] = li;
    const items = p.pushes.map((push) => {
      const sig = [phoneUser, push.status, push.count, push.acked_by || ""].join("|");
      let li = old[push.escalation_id];
      if (!li || li.dataset.sig !== sig) li = pushItem(p, push, sig);
      const cd = li.querySelector(".countdown");
      if (cd && push.next_at) {
        const s = Math.max(0, Math.round((new Date(push.next_at) - now) / 1000));
        cd.textContent = "未确认将于 " + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + " 后升级";
      }
      return li;
    });
    const same = items.length === list.children.length && items.every((li, i) => list.children[i] === li);
    if (!same) list.replaceChildren(...items);
  }

  function pushItem(p, push, sig) {
    const li = el("li", { "data-escalation": push.escalation_id, "data-status": push.status, "data-sig": sig, class: "push " + push.urgency });
    li.appendChild(el("div", { class: "push-title" }, push.title));
    li.appendChild(el("div", { class: "push-body" }, push.body));
    li.appendChild(el("div", { class: "push-meta" },
      push.escalation_id + " · " + (statusText[push.status] || push.status) + " · 推送 " + push.count + " 次"));
    if (push.status === "open") {
      if (push.next_at) li.appendChild(el("div", { class: "countdown" }, ""));
      const btn = el("button", { type: "button", "data-phone-ack": push.escalation_id }, "确认");
      btn.addEventListener("click", () => ack(p, push, btn));
      li.appendChild(btn);
    } else if (push.acked_by) {
      li.appendChild(el("div", { class: "acked" }, "由 " + push.acked_by + " 于 " + hhmm(push.acked_at) + " 确认（" + push.acked_via + "）"));
    }
    return li;
  }

  async function refreshPhones() {
    for (const t of tabs) {
      const user = t.dataset.phone;
      try {
        const resp = await fetch("/demo/phone?user=" + encodeURIComponent(user));
        if (!resp.ok) continue;
        phones[user] = await resp.json();
        const open = phones[user].pushes.filter((x) => x.status === "open").length;
        const badge = document.querySelector('[data-badge="' + user + '"]');
        badge.textContent = open ? String(open) : "";
      } catch (e) { /* try again next tick */ }
    }
    renderPhone();
  }

  selectPhone(tabs.length ? tabs[0].dataset.phone : "");
  refreshChat();
  refreshStatus();
  refreshPhones();
  tickStory();
  setInterval(refreshChat, 1000);
  setInterval(refreshPhones, 1000);
  setInterval(tickStory, 1000);
  setInterval(refreshStatus, 10000);
})();
