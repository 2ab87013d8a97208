/* kefu chat widget. Embed with one tag:
 *   <script src="http://HOST/widget.js" data-kefu-endpoint="http://HOST" data-kefu-kb="KB-ID" defer></script>
 * Everything lives in a shadow root (the host page's CSS cannot reach in, ours cannot leak out).
 * Text from the server or the user is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  if (window.__kefuWidget) return; // one widget per page, even if the tag is pasted twice
  window.__kefuWidget = true;

  const script = document.currentScript || document.querySelector("script[data-kefu-endpoint]") || document.querySelector('script[src*="widget.js"]');
  const endpoint = ((script && script.getAttribute("data-kefu-endpoint")) || new URL(script ? script.src : "/", location.href).origin).replace(/\/+$/, "");
  // The knowledge base this page's company answers from; without one the bot searches all of them.
  const kb = (script && script.getAttribute("data-kefu-kb")) || null;
  const STORE_KEY = "kefu-widget:" + endpoint + (kb ? ":" + kb : "");
  const MAX_LOG = 60;
  const POLL_MS = 15000;
  const FIELD_LABELS = { name: "姓名", phone: "联系电话", 产品名称: "产品名称", 生产日期: "生产日期", 生产批号: "生产批号", 数量: "数量", 问题: "问题描述", 饮用后情况: "饮用后情况" };
  const REQUIRED = new Set(["name", "phone", "产品名称", "问题"]);
  const LONG_FIELDS = new Set(["问题", "饮用后情况"]);
  const MOBILE = /^(?:\+?86)?1[3-9]\d{9}$/;
  const LANDLINE = /^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$/;

  // ---- validation: the same rules as bot/store/tickets.py ----
  function validPhone(phone) {
    const compacted = phone.replace(/[\s()]/g, "");
    return MOBILE.test(compacted.replace(/-/g, "")) || LANDLINE.test(compacted);
  }

  function fieldError(key, value) {
    const length = Array.from(value.trim()).length;
    if (REQUIRED.has(key) && length === 0) return "请填写" + FIELD_LABELS[key];
    if (key === "name" && length > 50) return "姓名最多 50 个字";
    if (key === "phone") return validPhone(value) ? "" : "请填写有效的手机号(如 13812345678)或座机号(如 010-12345678)";
    if (length > 200) return FIELD_LABELS[key] + "最多 200 个字";
    return "";
  }

  // ---- state, kept in localStorage so a reload continues the conversation ----
  function loadState() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
      if (saved && saved.v === 1) return saved;
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { v: 1, sessionId: null, open: false, log: [], ticket: null, form: null, agentSeen: 0 };
  }

  const state = loadState();

  function saveState() {
    state.log = state.log.slice(-MAX_LOG);
    try { localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: the session lasts the page */ }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // ---- DOM helpers: children are nodes or strings (set as text, never as HTML) ----
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root { font: 14px/1.55 -apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2933; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0; border-radius: 28px; padding: 12px 20px;
      background: #1d64d8; color: #fff; font: inherit; font-size: 15px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    .panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; width: 380px; max-width: calc(100vw - 24px);
      height: 600px; max-height: calc(100vh - 104px); display: flex; flex-direction: column; background: #fff;
      border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.28); overflow: hidden; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #1d64d8; color: #fff; }
    header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
    header button { border: 1px solid rgba(255,255,255,.7); background: transparent; color: #fff; border-radius: 6px; padding: 4px 10px; font: inherit; cursor: pointer; }
    header .close { border: 0; font-size: 22px; line-height: 1; padding: 2px 8px; }
    .log { flex: 1; overflow-y: auto; padding: 12px; background: #f4f6f9; display: flex; flex-direction: column; gap: 10px; }
    .msg { max-width: 88%; padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere; }
    .user { align-self: flex-end; background: #1d64d8; color: #fff; }
    .bot, .agent { align-self: flex-start; background: #fff; border: 1px solid #dde3ea; }
    .agent { border-color: #2e9d5b; }
    .who { display: block; font-size: 12px; color: #2e9d5b; }
    .note { align-self: center; max-width: 95%; font-size: 13px; color: #52606d; background: #e8edf3; }
    .error { align-self: stretch; max-width: 100%; background: #fdecea; color: #8a1c12; border: 1px solid #f5c2bd; }
    .error button, .suggest button, .form button, .feedback button { font: inherit; cursor: pointer; }
    .error button { margin-left: 8px; border: 1px solid #8a1c12; background: #fff; color: #8a1c12; border-radius: 6px; padding: 2px 10px; }
    .chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }
    .chip { border: 1px solid #1d64d8; background: #eef4ff; color: #1d4fa8; border-radius: 14px; padding: 2px 10px; font: inherit; font-size: 12px; cursor: pointer; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .chip[aria-expanded="true"] { background: #1d64d8; color: #fff; }
    .quote { margin: 8px 0 0; padding: 8px 10px; border-left: 3px solid #1d64d8; background: #f7f9fc; font-size: 13px; white-space: pre-wrap; }
    .quote .src { display: block; font-weight: 600; color: #1d4fa8; }
    .quote .path { display: block; font-size: 12px; color: #52606d; margin-bottom: 4px; }
    .suggest { display: flex; flex-direction: column; gap: 6px; margin-top: 8px; white-space: normal; }
    .suggest button { text-align: left; border: 1px solid #c5d3e8; background: #fff; border-radius: 8px; padding: 6px 8px; }
    .suggest .offer { color: #1d4fa8; border-style: dashed; }
    .feedback { margin-top: 6px; font-size: 12px; color: #52606d; white-space: normal; }
    .feedback button { border: 0; background: none; color: #1d4fa8; padding: 0 4px; font-size: 12px; }
    .typing { align-self: flex-start; color: #52606d; background: #fff; border: 1px solid #dde3ea; }
    .typing span { display: inline-block; animation: blink 1.2s infinite both; }
    .typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }
    @keyframes blink { 0%, 80%, 100% { opacity: .2; } 40% { opacity: 1; } }
    .form { align-self: stretch; max-width: 100%; background: #fff; border: 1px solid #c5d3e8; white-space: normal; }
    .form h3 { margin: 0 0 8px; font-size: 14px; }
    .form label { display: block; margin-top: 8px; font-size: 13px; }
    .form input, .form textarea { display: block; width: 100%; margin-top: 2px; padding: 6px 8px; border: 1px solid #b9c4d0; border-radius: 6px; font: inherit; }
    .form [aria-invalid="true"] { border-color: #c0392b; }
    .form .err { display: block; color: #c0392b; font-size: 12px; min-height: 0; }
    .form .actions { display: flex; gap: 8px; margin-top: 10px; }
    .form button[type="submit"] { background: #1d64d8; color: #fff; border: 0; border-radius: 6px; padding: 6px 16px; }
    .form button[type="button"] { background: #fff; border: 1px solid #b9c4d0; border-radius: 6px; padding: 6px 12px; }
    .optional { color: #7b8794; font-size: 12px; }
    .composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #dde3ea; background: #fff; }
    .composer textarea { flex: 1; resize: none; min-height: 38px; max-height: 120px; padding: 8px; border: 1px solid #b9c4d0; border-radius: 8px; font: inherit; }
    .composer button { border: 0; border-radius: 8px; background: #1d64d8; color: #fff; padding: 0 16px; font: inherit; cursor: pointer; }
    .composer button:disabled { background: #9fb6dd; cursor: default; }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    @media (max-width: 480px) {
      .panel { right: 0; bottom: 0; left: 0; top: 0; width: 100%; max-width: 100%; height: 100%; max-height: 100%; border-radius: 0; }
      .launcher { right: 12px; bottom: 12px; }
    }
  `;

  // ---- the widget's frame ----
  const host = document.createElement("kefu-widget");
  const shadow = host.attachShadow({ mode: "open" });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "对话记录", tabindex: "0" });
  const input = el("textarea", { id: "kefu-question", rows: "1", maxlength: "2000", placeholder: "请输入您的问题,按 Enter 发送", "aria-label": "输入您的问题" });
  const send = el("button", { type: "submit", text: "发送" });
  const composer = el("form", { class: "composer", onsubmit: onSubmitQuestion }, [input, send]);
  const launcher = el("button", { class: "launcher", type: "button", "aria-label": "打开在线客服", "aria-expanded": "false", "aria-controls": "kefu-panel", text: "在线客服", onclick: () => setOpen(true) });
  const panel = el("section", { class: "panel", id: "kefu-panel", role: "dialog", "aria-label": "在线客服", hidden: true }, [
    el("header", {}, [
      el("h2", { text: "在线客服" }),
      el("button", { type: "button", class: "human", text: "转人工", "aria-label": "转人工客服", onclick: requestHuman }),
      el("button", { type: "button", class: "close", "aria-label": "关闭客服窗口", text: "×", onclick: () => setOpen(false) }),
    ]),
    log,
    composer,
  ]);
  // A constructed style sheet still applies where the host page's CSP forbids inline <style>.
  if ("adoptedStyleSheets" in shadow && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", { text: STYLE }));
  }
  shadow.append(el("div", { class: "root" }, [launcher, panel]));

  let typing = null;
  let busy = false;
  let pollTimer = null;

  function setOpen(open) {
    state.open = open;
    saveState();
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      renderLog();
      loadFacts();
      input.focus();
      startPolling();
    } else {
      stopPolling();
      launcher.focus();
    }
  }

  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); setOpen(false); }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); composer.requestSubmit(); }
  });

  // ---- rendering the log from state ----
  // ---- the company's greeting and opening questions (GET /api/kbs), shown until the first question ----
  let facts = null;

  async function loadFacts() {
    if (!kb || facts) return;
    try {
      const response = await fetch(endpoint + "/api/kbs");
      if (!response.ok) return;
      facts = (await response.json()).find((entry) => entry.id === kb) || null;
      if (facts && !state.log.length && !panel.hidden) renderLog();
    } catch (e) { /* offline: the generic greeting stays */ }
  }

  function renderGreeting() {
    const greeting = (facts && facts.greeting) || "您好!我是在线客服助手,可以根据公司服务手册回答您的问题。需要人工服务请点“转人工”。";
    const bubble = el("div", { class: "msg bot greeting" }, [greeting]);
    const questions = (facts && facts.quick_questions) || [];
    if (questions.length) {
      bubble.append(el("div", { class: "suggest quick", role: "group", "aria-label": "常见问题" },
        questions.map((q) => el("button", { type: "button", text: q, onclick: () => { if (!busy) ask(q); } }))));
    }
    return bubble;
  }

  function renderLog() {
    log.replaceChildren();
    if (!state.log.length) log.append(renderGreeting());
    state.log.forEach((entry) => log.append(renderEntry(entry)));
    if (state.form) log.append(renderForm(state.form));
    if (typing) log.append(typing);
    scrollDown();
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function append(entry) {
    state.log.push(entry);
    saveState();
    const node = renderEntry(entry);
    const formNode = log.querySelector(".form");
    log.insertBefore(node, formNode || (typing && typing.isConnected ? typing : null));
    scrollDown();
    return node;
  }

  function renderEntry(entry) {
    if (entry.kind === "user") return el("div", { class: "msg user", text: entry.text });
    if (entry.kind === "note") return el("div", { class: "msg note", role: "status", text: entry.text });
    if (entry.kind === "agent") return el("div", { class: "msg agent" }, [el("span", { class: "who", text: "客服人员" + (entry.author ? " " + entry.author : "") }), entry.text]);
    return renderAnswer(entry);
  }

  function renderAnswer(entry) {
    const bubble = el("div", { class: "msg bot" }, [entry.text]);
    if (entry.citations && entry.citations.length) bubble.append(renderCitations(entry.citations));
    if (entry.suggestions && entry.suggestions.length) {
      bubble.append(el("div", { class: "suggest" }, entry.suggestions.map((s) =>
        el("button", { type: "button", text: s.question, onclick: () => { if (!busy) ask(s.question, s.id); } }))));
    }
    if (entry.offer) {
      bubble.append(el("div", { class: "suggest" }, [el("button", { type: "button", class: "offer", text: "都不是,转人工客服",
        onclick: () => { if (state.ticket) requestHuman(); else if (!state.form) openForm(entry.offer.fields || ["name", "phone"], entry.offer.reason); else focusForm(); } })]));
    }
    if (entry.answerId && entry.citations && entry.citations.length) bubble.append(renderFeedback(entry));
    return bubble;
  }

  function renderCitations(citations) {
    const chips = el("div", { class: "chips", role: "group", "aria-label": "引用来源" });
    const quotes = el("div");
    citations.forEach((c, i) => {
      const quote = el("blockquote", { class: "quote", hidden: true }, [
        el("span", { class: "src", text: "[" + (i + 1) + "] 《" + c.title + "》" + (c.date ? "(" + c.date + ")" : "") }),
        el("span", { class: "path", text: c.section }),
        c.text,
      ]);
      const chip = el("button", { type: "button", class: "chip", "aria-expanded": "false", title: c.section,
        "aria-label": "引用 " + (i + 1) + ":" + c.title + ",展开原文", text: "[" + (i + 1) + "] " + c.title });
      chip.addEventListener("click", () => {
        const open = chip.getAttribute("aria-expanded") !== "true";
        chip.setAttribute("aria-expanded", String(open));
        quote.hidden = !open;
      });
      chips.append(chip);
      quotes.append(quote);
    });
    return el("div", {}, [chips, quotes]);
  }

  function renderFeedback(entry) {
    const box = el("div", { class: "feedback" }, ["这个回答有帮助吗?"]);
    if (entry.feedback) { box.textContent = "感谢您的反馈。"; return box; }
    const vote = (helpful) => () => {
      entry.feedback = helpful ? "yes" : "no";
      saveState();
      box.textContent = "感谢您的反馈。";
      post("/api/feedback", { answer_id: entry.answerId, helpful: helpful }).catch(() => {});
    };
    box.append(el("button", { type: "button", text: "有帮助", onclick: vote(true) }), el("button", { type: "button", text: "没帮助", onclick: vote(false) }));
    return box;
  }

  function showTyping(on) {
    if (on && !typing) {
      typing = el("div", { class: "msg typing", role: "status", "aria-label": "客服助手正在输入" }, ["正在输入", el("span", { text: "." }), el("span", { text: "." }), el("span", { text: "." })]);
      log.append(typing);
      scrollDown();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
  }

  function showError(text, retry) {
    const box = el("div", { class: "msg error", role: "alert" }, [text]);
    if (retry) box.append(el("button", { type: "button", text: "重试", onclick: () => { box.remove(); retry(); } }));
    log.insertBefore(box, log.querySelector(".form"));
    scrollDown();
  }

  // ---- talking to the server ----
  async function post(path, body, headers) {
    const response = await fetch(endpoint + path, {
      method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers || {}), body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, ok: response.ok, data: data };
  }

  function serverMessage(result) {
    const message = result.data && result.data.error && result.data.error.message;
    return message ? String(message).split(" / ")[0] : "服务暂时不可用(" + result.status + ")";
  }

  function onSubmitQuestion(event) {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  }

  // A 您是想问 option asks for its passage by id: the bot answers from that passage.
  async function ask(question, passageId) {
    append({ kind: "user", text: question });
    await sendQuestion(question, passageId);
  }

  async function sendQuestion(question, passageId) {
    busy = true;
    send.disabled = true;
    showTyping(true);
    try {
      const body = { question: question, session_id: state.sessionId, persona: "customer", channel: "widget", kb: kb };
      if (passageId) body.passage_id = passageId;
      const result = await post("/api/ask", body);
      showTyping(false);
      if (result.ok) handleAnswer(result.data);
      else if (result.status >= 500 || result.status === 429) showError(serverMessage(result) + ",请稍后重试。", () => sendQuestion(question, passageId));
      else showError(serverMessage(result));
    } catch (e) {
      showTyping(false);
      showError("网络连接失败,暂时无法连接客服系统。", () => sendQuestion(question, passageId));
    } finally {
      busy = false;
      send.disabled = false;
    }
  }

  function handleAnswer(data) {
    state.sessionId = data.session_id;
    const handoff = data.handoff || {};
    // "您是想问" first lets the customer pick a section; a person stays one click away.
    const offer = data.band === "suggest" && handoff.needed && !handoff.ticket_id && !state.ticket;
    if (data.answer) {
      append({ kind: "bot", text: data.answer, citations: data.citations || [], suggestions: data.suggestions || [], answerId: data.answer_id,
        offer: offer ? { fields: handoff.fields, reason: handoff.reason } : null });
    } else if (state.ticket) {
      append({ kind: "note", text: "您的消息已转给客服人员,请稍候。" });
    }
    if (!handoff.needed || offer) return;
    if (handoff.ticket_id) {
      state.ticket = Object.assign({}, state.ticket && state.ticket.id === handoff.ticket_id ? state.ticket : {}, { id: handoff.ticket_id });
      append({ kind: "note", text: "已为您加急转交人工处理,工单号:" + handoff.ticket_id + "。" });
    } else if (state.ticket) {
      append({ kind: "note", text: "您的工单 " + state.ticket.id + " 已在处理中。" + (state.ticket.message || "") });
    } else {
      openForm(handoff.fields && handoff.fields.length ? handoff.fields : ["name", "phone"], handoff.reason);
    }
  }

  function requestHuman() {
    if (busy) return;
    if (state.ticket) {
      append({ kind: "note", text: "您的工单 " + state.ticket.id + " 已在处理中。" + (state.ticket.message || "") });
      return;
    }
    if (state.form) { focusForm(); return; }
    ask("转人工");
  }

  // ---- the handoff form ----
  function openForm(fields, reason) {
    // What the customer already typed into an earlier form is kept.
    state.form = { fields: fields, reason: reason || "user_request", values: state.form ? state.form.values : {} };
    saveState();
    renderLog();
    focusForm();
  }

  function focusForm() {
    const first = log.querySelector(".form input");
    if (first) first.focus();
  }

  function renderForm(form) {
    const box = el("form", { class: "msg form", "aria-label": "留下联系方式", novalidate: true });
    const parts = {};
    box.append(el("h3", { text: "请留下联系方式,客服人员会尽快与您联系" }));
    form.fields.forEach((key) => {
      const id = "kefu-field-" + key;
      const control = el(LONG_FIELDS.has(key) ? "textarea" : "input", {
        id: id, name: key, "aria-describedby": id + "-err", "aria-required": REQUIRED.has(key) ? "true" : null, rows: LONG_FIELDS.has(key) ? "2" : null,
        type: key === "phone" ? "tel" : (LONG_FIELDS.has(key) ? null : "text"), autocomplete: key === "name" ? "name" : (key === "phone" ? "tel" : "off"),
        maxlength: key === "name" ? "50" : "200", inputmode: key === "phone" ? "tel" : null,
      });
      control.value = form.values[key] || "";
      control.addEventListener("input", () => { form.values[key] = control.value; saveState(); });
      parts[key] = { control: control, err: el("span", { class: "err", id: id + "-err", "aria-live": "polite" }) };
      box.append(el("label", { for: id }, [FIELD_LABELS[key] || key, REQUIRED.has(key) ? null : el("span", { class: "optional", text: "(选填)" })]), control, parts[key].err);
    });
    const submit = el("button", { type: "submit", text: "提交" });
    box.append(el("div", { class: "actions" }, [submit, el("button", { type: "button", text: "取消", onclick: cancelForm })]));
    box.addEventListener("submit", (event) => { event.preventDefault(); submitForm(parts, form, submit); });
    return box;
  }

  function cancelForm() {
    state.form = null;
    saveState();
    renderLog();
    input.focus();
  }

  function checkForm(parts, form) {
    let firstBad = null;
    form.fields.forEach((key) => {
      const message = fieldError(key, parts[key].control.value);
      parts[key].control.setAttribute("aria-invalid", message ? "true" : "false");
      parts[key].err.textContent = message;
      if (message && !firstBad) firstBad = parts[key].control;
    });
    if (firstBad) firstBad.focus();
    return !firstBad;
  }

  async function submitForm(parts, form, submit) {
    if (!checkForm(parts, form)) return;
    const value = (key) => parts[key].control.value.trim();
    const fields = {};
    form.fields.filter((k) => k !== "name" && k !== "phone").forEach((k) => { if (value(k)) fields[k] = value(k); });
    const body = { session_id: state.sessionId, name: value("name"), phone: value("phone"), reason: form.reason, channel: "widget", kb: kb };
    if (Object.keys(fields).length) body.fields = fields;
    // A retry of the same details keeps its key (one ticket however often it is sent); changed
    // details are a new request, which the server would refuse under the old key.
    const sent = JSON.stringify(body);
    if (form.sent !== sent) { form.key = newKey(); form.sent = sent; saveState(); }
    submit.disabled = true;
    try {
      const result = await post("/api/tickets", body, { "Idempotency-Key": form.key });
      if (result.ok) {
        state.ticket = { id: result.data.ticket_id, key: result.data.access_key, message: result.data.message };
        state.form = null;
        state.log.push({ kind: "note", text: "已为您创建工单,工单号:" + result.data.ticket_id + "。" + result.data.message });
        saveState();
        renderLog();
        input.focus();
        startPolling();
      } else {
        submit.disabled = false;
        showError(serverMessage(result), result.status >= 500 || result.status === 429 ? () => submitForm(parts, form, submit) : null);
      }
    } catch (e) {
      submit.disabled = false;
      showError("网络连接失败,工单未提交。", () => submitForm(parts, form, submit));
    }
  }

  // ---- an agent's replies reach the customer: poll the ticket while the panel is open ----
  function startPolling() {
    stopPolling();
    if (state.ticket && state.ticket.key && !panel.hidden) {
      pollAgentReplies();
      pollTimer = setInterval(pollAgentReplies, POLL_MS);
    }
  }

  function stopPolling() { if (pollTimer) clearInterval(pollTimer); pollTimer = null; }

  async function pollAgentReplies() {
    const ticket = state.ticket;
    try {
      const response = await fetch(endpoint + "/api/tickets/" + encodeURIComponent(ticket.id) + "?key=" + encodeURIComponent(ticket.key));
      if (!response.ok) return;
      const data = await response.json();
      const replies = (data.messages || []).filter((m) => m.role === "agent");
      replies.slice(state.agentSeen || 0).forEach((m) => append({ kind: "agent", text: m.text, author: m.author }));
      state.agentSeen = replies.length;
      if (data.status === "resolved" || data.status === "closed") { // done: a new matter may open a new ticket
        append({ kind: "note", text: "您的工单 " + ticket.id + " 已处理完毕。如还需要帮助,可以再次转人工。" });
        state.ticket = null;
        state.agentSeen = 0;
        stopPolling();
      }
      saveState();
    } catch (e) { /* offline for now: the next poll tries again */ }
  }

  function mount() {
    document.body.append(host);
    if (state.open) setOpen(true);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
