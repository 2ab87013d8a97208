// Shared by the agent console and the editor page: DOM building (text only, never HTML), the
// API with the staff token, the one-time token prompt, times and countdowns, copy, announcements.

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of [].concat(children ?? [])) {
    if (child !== null && child !== undefined && child !== false) node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// ---- the staff token, asked once per browser tab (sessionStorage) ----
export function tokenStore(role) {
  const key = "kefu-" + role;
  return {
    get: () => JSON.parse(sessionStorage.getItem(key) || "null"),
    set: (value) => sessionStorage.setItem(key, JSON.stringify(value)),
    clear: () => sessionStorage.removeItem(key),
  };
}

let currentToken = null;

export async function api(path, { method = "GET", body, form, token = currentToken, signal } = {}) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const response = await fetch(path, { method, headers, body: payload, signal });
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch (e) { data = null; }
  }
  return { status: response.status, ok: response.ok, data };
}

export function errorText(result) {
  const message = result && result.data && result.data.error && result.data.error.message;
  return message || "请求失败(HTTP " + (result ? result.status : "?") + ")";
}

/** Shows #login until a token passes `verify(token)`; then hides it, shows #app and calls onReady. */
export function setupLogin({ role, verify, onReady }) {
  const store = tokenStore(role);
  const login = document.getElementById("login");
  const app = document.getElementById("app");
  const error = document.getElementById("login-error");
  const tokenInput = document.getElementById("login-token");
  const nameInput = document.getElementById("login-name");

  async function tryToken(saved) {
    let result;
    try { result = await verify(saved.token); } catch (e) { return "无法连接服务器,请稍后再试。"; }
    if (result.status === 401 || result.status === 403) return "令牌无效,请检查后重试。";
    if (!result.ok) return errorText(result);
    currentToken = saved.token;
    store.set(saved);
    login.hidden = true;
    app.hidden = false;
    document.getElementById("whoami").textContent = saved.name;
    document.getElementById("logout").hidden = false;
    onReady(saved);
    return "";
  }

  login.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const saved = { token: tokenInput.value.trim(), name: nameInput.value.trim() };
    if (!saved.token || !saved.name) { error.textContent = "请填写令牌和姓名。"; return; }
    error.textContent = await tryToken(saved);
    if (error.textContent) tokenInput.focus();
  });
  document.getElementById("logout").addEventListener("click", () => { store.clear(); location.reload(); });

  const saved = store.get();
  if (saved && saved.token) {
    tryToken(saved).then((message) => { if (message) { store.clear(); showLogin(message); } });
  } else {
    showLogin("");
  }

  function showLogin(message) {
    login.hidden = false;
    error.textContent = message;
    tokenInput.focus();
  }
}

// ---- times ----
export function formatTime(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function countdown(iso, now = Date.now()) {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60000);
  const span = Math.abs(minutes);
  const text = span >= 60 ? `${Math.floor(span / 60)}小时${span % 60}分` : `${span}分钟`;
  return minutes < 0 ? { text: "已超时 " + text, overdue: true } : { text: "剩余 " + text, overdue: false };
}

/** Keeps every [data-due] element's countdown current. */
export function tickCountdowns(root = document) {
  for (const node of root.querySelectorAll("[data-due]")) {
    const left = countdown(node.dataset.due);
    node.textContent = left.text;
    node.classList.toggle("overdue", left.overdue);
  }
}

// ---- feedback for the person at the screen ----
export function announce(text) {
  const toast = document.getElementById("toast");
  toast.textContent = text;
  toast.classList.add("show");
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => toast.classList.remove("show"), 2500);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) { // not a secure context (plain http on a LAN address): the old way still works
    const area = el("textarea", { class: "copy-buffer", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  announce("已复制");
}

export function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/** Fill a <select> with the knowledge bases (GET /api/kbs), keeping its first "all" option. */
export async function loadKbOptions(select) {
  const result = await api("/api/kbs");
  if (!result.ok) return [];
  select.append(...result.data.map((kb) => el("option", { value: kb.id, text: kb.name })));
  return result.data;
}

export const LABELS = {
  status: { open: "待处理", assigned: "处理中", resolved: "已解决", closed: "已关闭" },
  priority: { urgent: "紧急", high: "高", normal: "普通" },
  reason: { low_confidence: "机器人无把握", user_request: "客户要求人工", urgent: "紧急事件", out_of_scope: "超出服务范围", repeated_failure: "多次未解答" },
  role: { customer: "客户", bot: "机器人", agent: "坐席", note: "备注" },
  channel: { widget: "网页客服", console: "坐席台", api: "接口" },
};
