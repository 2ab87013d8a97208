// The ticket queue (urgent and overdue first, as the API orders it), SLA countdowns, and one
// ticket's detail: customer fields, transcript, notes, status changes, reply to the customer.
import { LABELS, announce, api, countdown, el, errorText, formatTime, tickCountdowns } from "./common.js";

const REFRESH_MS = 30000;
const PAGE = 50; // tickets fetched at a time; "加载更多" fetches the next page
const MAX_PAGE = 200; // the most the API gives in one request
const list = document.getElementById("ticket-list");
const loadMore = document.getElementById("load-more");
const detail = document.getElementById("ticket-detail");
const queueStatus = document.getElementById("queue-status");
const statusFilter = document.getElementById("status-filter");
const priorityFilter = document.getElementById("priority-filter");
let me = null;
let openId = null;

let kbFilter = null;

export function startTickets(agent, kbSelect) {
  me = agent;
  kbFilter = kbSelect;
  kbFilter.addEventListener("change", () => loadQueue());
  statusFilter.addEventListener("change", () => loadQueue());
  priorityFilter.addEventListener("change", () => loadQueue());
  document.getElementById("refresh").addEventListener("click", () => loadQueue());
  loadMore.addEventListener("click", () => loadPage(list.children.length));
  loadQueue();
  setInterval(() => loadQueue(true), REFRESH_MS);
  setInterval(() => tickCountdowns(), REFRESH_MS / 2);
}

/** The queue from its first ticket; `keepShown` (a refresh) fetches as many as are shown. */
function loadQueue(keepShown = false) {
  const limit = keepShown ? Math.min(Math.max(PAGE, list.children.length), MAX_PAGE) : PAGE;
  return loadPage(0, limit);
}

async function loadPage(offset, limit = PAGE) {
  const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (statusFilter.value) params.set("status", statusFilter.value);
  if (priorityFilter.value) params.set("priority", priorityFilter.value);
  if (kbFilter && kbFilter.value) params.set("kb", kbFilter.value);
  let result;
  try { result = await api("/api/tickets?" + params); } catch (e) { queueStatus.textContent = "无法连接服务器。"; return; }
  if (!result.ok) { queueStatus.textContent = errorText(result); return; }
  const rows = result.data.tickets.map(renderRow);
  if (offset === 0) list.replaceChildren(...rows); else list.append(...rows);
  loadMore.hidden = result.data.next_offset === null;
  queueStatus.textContent = result.data.total ? `显示 ${list.children.length} / 共 ${result.data.total} 张工单` : "没有工单";
}

function slaBadge(ticket) {
  const left = countdown(ticket.sla_due_at);
  const closed = ticket.status === "resolved" || ticket.status === "closed";
  if (closed) return el("span", { class: "sla", text: "时限 " + formatTime(ticket.sla_due_at) });
  return el("span", { class: "sla" + (left.overdue ? " overdue" : ""), "data-due": ticket.sla_due_at, title: "回复时限 " + formatTime(ticket.sla_due_at), text: left.text });
}

function renderRow(ticket) {
  const button = el("button", { type: "button", class: "ticket-row", "aria-current": ticket.id === openId ? "true" : null, onclick: () => openTicket(ticket.id) }, [
    el("span", { class: "badge " + ticket.priority, text: LABELS.priority[ticket.priority] || ticket.priority }),
    el("span", { class: "tid", text: ticket.id }),
    el("span", { class: "muted kb", text: ticket.kb || "" }),
    el("span", { class: "who", text: ticket.name }),
    el("span", { class: "muted", text: LABELS.reason[ticket.reason] || ticket.reason }),
    el("span", { class: "state " + ticket.status, text: LABELS.status[ticket.status] || ticket.status }),
    slaBadge(ticket),
  ]);
  return el("li", {}, [button]);
}

async function openTicket(id) {
  openId = id;
  for (const row of list.querySelectorAll(".ticket-row")) {
    if (row.querySelector(".tid").textContent === id) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  }
  const result = await api("/api/tickets/" + encodeURIComponent(id));
  if (!result.ok) { detail.replaceChildren(el("p", { class: "error", text: errorText(result) })); return; }
  renderDetail(result.data);
  detail.focus();
}

function renderDetail(ticket) {
  const facts = [
    ["姓名", ticket.name], ["电话", ticket.phone], ["渠道", LABELS.channel[ticket.channel] || ticket.channel],
    ["原因", LABELS.reason[ticket.reason] || ticket.reason], ["处理人", ticket.assignee || "未分配"],
    ["创建时间", formatTime(ticket.created_at)], ["回复时限", formatTime(ticket.sla_due_at)],
    ...Object.entries(ticket.fields || {}),
  ];
  detail.replaceChildren(
    el("h3", {}, [el("span", { class: "badge " + ticket.priority, text: LABELS.priority[ticket.priority] }), " " + ticket.id + " ",
      el("span", { class: "state " + ticket.status, text: LABELS.status[ticket.status] }), " ", slaBadge(ticket)]),
    el("dl", { class: "facts" }, facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])),
    el("h4", { text: "对话记录" }),
    el("ol", { class: "transcript" }, ticket.messages.map(renderMessage)),
    renderActions(ticket),
  );
  const transcript = detail.querySelector(".transcript");
  transcript.scrollTop = transcript.scrollHeight; // the newest message, the one to answer, in view
}

function renderMessage(message) {
  const who = (LABELS.role[message.role] || message.role) + (message.author ? " " + message.author : "");
  return el("li", { class: "m-" + message.role }, [
    el("div", { class: "meta" }, [el("strong", { text: who }), " ", el("time", { datetime: message.created_at, text: formatTime(message.created_at) })]),
    el("div", { class: "text", text: message.text }),
  ]);
}

function renderActions(ticket) {
  const statusSelect = el("select", { "aria-label": "工单状态" }, Object.entries(LABELS.status).map(([value, label]) =>
    el("option", { value, selected: value === ticket.status ? true : null, text: label })));
  const note = el("textarea", { rows: "2", maxlength: "5000", "aria-label": "内部备注", placeholder: "内部备注(客户看不到)" });
  const reply = el("textarea", { rows: "3", maxlength: "5000", "aria-label": "回复客户", placeholder: "回复客户(客户在网页客服中可以看到)" });
  const take = ticket.assignee === me.name ? null : el("button", { type: "button", text: "由我处理", onclick: () => patch(ticket.id, { assignee: me.name }, "已分配给您") });
  return el("div", { class: "ticket-actions" }, [
    el("div", { class: "row" }, [take, statusSelect, el("button", { type: "button", text: "更新状态", onclick: () => patch(ticket.id, { status: statusSelect.value }, "状态已更新") })]),
    note, el("button", { type: "button", text: "添加备注", onclick: () => note.value.trim() && patch(ticket.id, { note: note.value.trim(), author: me.name }, "备注已添加") }),
    reply, el("button", { type: "button", class: "primary", text: "发送回复", onclick: () => sendReply(ticket.id, reply) }),
  ]);
}

async function patch(id, body, done) {
  const result = await api("/api/tickets/" + encodeURIComponent(id), { method: "PATCH", body });
  if (!result.ok) { announce(errorText(result)); return; }
  renderDetail(result.data);
  announce(done);
  loadQueue(true);
}

async function sendReply(id, box) {
  const text = box.value.trim();
  if (!text) return;
  const result = await api("/api/tickets/" + encodeURIComponent(id) + "/messages", { method: "POST", body: { text, author: me.name } });
  if (!result.ok) { announce(errorText(result)); return; }
  renderDetail(result.data);
  announce("回复已发送");
}
