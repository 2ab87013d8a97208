// The loop tab: unanswered questions grouped by meaning over 7 or 30 days, and the 没帮助
// answers; for each, link it to the passage that answers it (its questions become that passage's
// associated questions) or write an answer (an FAQ entry), then re-index. Personal data arrives
// masked from the server; nothing here unmasks it.
import { api, el, formatTime } from "./common.js";
import { $, clearMessages, failure, kbApi, kbPath, registerPanel, say, state } from "./admin-shared.js";
import { passageHeader } from "./admin-passages.js";
import { startReindex } from "./admin-reindex.js";

const PAGE = 20;
const RECHECK_MS = 1000;
const lists = {
  unanswered: { path: "/unanswered", key: "groups", render: groupItem, empty: "暂无未解答的问题。", unit: "组问题", offset: 0 },
  feedback: { path: "/feedback", key: "items", render: feedbackItem, empty: "暂无“没帮助”的反馈。", unit: "条反馈", offset: 0 },
};
let recheck = null;

registerPanel(() => { loadList("unanswered", true); loadList("feedback", true); });
for (const radio of document.querySelectorAll('input[name="days"]')) radio.addEventListener("change", () => { clearMessages(); loadList("unanswered", true); loadList("feedback", true); });
$("unanswered-refresh").addEventListener("click", () => { clearMessages(); loadList("unanswered", true); loadList("feedback", true); });
$("unanswered-more").addEventListener("click", () => loadList("unanswered", false));
$("feedback-more").addEventListener("click", () => loadList("feedback", false));

const days = () => document.querySelector('input[name="days"]:checked').value;

async function loadList(name, fresh) {
  const list = lists[name];
  if (fresh) list.offset = 0;
  const result = await kbApi(`${list.path}?days=${days()}&limit=${PAGE}&offset=${list.offset}`);
  if (!result) return;
  if (!result.ok) { say(name + "-status", failure(result), true); return; }
  const page = result.data;
  const items = page[list.key].map(list.render);
  if (fresh) $(name).replaceChildren(...items); else $(name).append(...items);
  list.offset = page.next_offset ?? list.offset;
  $(name + "-more").hidden = page.next_offset === null;
  const shown = $(name).children.length;
  let text = `最近 ${page.days} 天:` + (page.total ? `显示 ${shown} / 共 ${page.total} ${list.unit}` : list.empty);
  if (page.rechecking) {
    text += `;正在用当前版本核对其余 ${page.rechecking} 个问题…`;
    clearTimeout(recheck);
    recheck = setTimeout(() => loadList(name, true), RECHECK_MS);
  }
  say(name + "-status", text);
}

function groupItem(group) {
  const item = el("li", { "data-group": group.id }, [
    el("div", {}, [el("span", { class: "count", title: "被问次数", text: String(group.count) }), el("strong", { class: "question", text: group.question })]),
    el("div", { class: "muted", text: `最近一次:${formatTime(group.last_asked)}` }),
  ]);
  if (group.distinct > 1) {
    item.append(el("details", {}, [el("summary", { text: `相近的问法(${group.distinct})` }), el("ul", {}, group.examples.map((q) => el("li", { text: q })))]));
  }
  item.append(actions(item, group.question, group.questions, "unanswered"));
  return item;
}

function feedbackItem(entry) {
  const item = el("li", { "data-answer": entry.answer_id }, [
    el("div", {}, [el("strong", { class: "question", text: entry.question })]),
    el("div", { class: "muted", text: `${formatTime(entry.created_at)},顾客点了“没帮助”` }),
    el("div", { class: "given" }, [el("span", { class: "muted", text: "机器人的回答:" }), entry.answer]),
  ]);
  if (entry.comment) item.append(el("div", { class: "comment" }, [el("span", { class: "muted", text: "顾客的意见:" }), entry.comment]));
  item.append(actions(item, entry.question, [entry.text], "feedback"));
  return item;
}

function actions(item, question, questions, listName) {
  const link = el("button", { type: "button", text: "关联到段落", onclick: () => { clearMessages(); open(item, linkForm(question, questions, listName)); } });
  const write = el("button", { type: "button", text: "撰写答案", onclick: () => { clearMessages(); open(item, faqForm(question, questions, listName)); } });
  return el("div", { class: "row" }, [link, write]);
}

function open(item, form) {
  item.querySelector(".loop-form")?.remove();
  item.append(form);
  form.querySelector("input, textarea")?.focus();
}

// ---- link to a passage: search the kb, pick the passage that answers it ----
function linkForm(question, questions, listName) {
  const ids = "link-" + Math.random().toString(36).slice(2);
  const query = el("input", { type: "search", id: ids, maxlength: "200" });
  query.value = question.slice(0, 200);
  const found = el("ol", { class: "passages picks", "aria-label": "可关联的段落" });
  const status = el("p", { class: "status", role: "status" });
  const form = el("form", { class: "loop-form", "aria-label": "关联到段落" }, [
    el("label", { for: ids, text: "搜索能回答它的段落" }), el("div", { class: "row" }, [query, el("button", { type: "submit", text: "搜索" })]), status, found,
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await api(kbPath("/passages?" + new URLSearchParams({ q: query.value.trim(), limit: 5 })));
    if (!result.ok) { status.textContent = failure(result); return; }
    found.replaceChildren(...result.data.passages.map((passage) => el("li", {}, [
      ...passageHeader(passage),
      el("button", { type: "button", class: "primary", text: "关联到这一段", disabled: !passage.editable, onclick: () => link(passage, questions, listName) }),
    ])));
    if (!result.data.passages.length) status.textContent = "没有找到段落,换个说法试试。";
  });
  setTimeout(() => form.requestSubmit(), 0);
  return form;
}

async function link(passage, questions, listName) {
  clearMessages();
  const result = await api(kbPath("/passages/" + passage.id + "/questions"), { method: "PUT", body: { questions: [...passage.questions, ...questions] } });
  if (!result.ok) { say(listName + "-status", "关联失败:" + failure(result), true); return; }
  await settled(listName, `已把 ${questions.length} 个问法关联到“${passage.section}”,正在重建索引。`);
  await startReindex(false);
}

/** The lists again without what was just linked or answered, and the action's message. */
async function settled(listName, message) {
  await Promise.all([loadList("unanswered", true), loadList("feedback", true)]);
  say(listName + "-status", message);
}

// ---- write an answer: an FAQ entry with the group's questions ----
function faqForm(question, questions, listName) {
  const ids = "faq-" + Math.random().toString(36).slice(2);
  const q = el("input", { type: "text", id: ids + "-q", maxlength: "200", required: true });
  q.value = question.slice(0, 200);
  const answer = el("textarea", { id: ids + "-a", rows: "4", maxlength: "2000", required: true });
  const together = el("input", { type: "checkbox", checked: questions.length > 1 });
  const reindex = el("input", { type: "checkbox", checked: true });
  const status = el("p", { class: "status", role: "status" });
  const form = el("form", { class: "loop-form faq-form", "aria-label": "撰写答案" }, [
    el("label", { for: ids + "-q", text: "问题" }), q,
    el("label", { for: ids + "-a", text: "答案(经审核的标准答案,会注明编辑和日期)" }), answer,
    el("label", {}, [together, ` 把这组的 ${questions.length} 种问法一起加为问法`]),
    el("label", {}, [reindex, " 保存后立即重建索引"]),
    el("button", { type: "submit", class: "primary", text: "保存答案" }), status,
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (q.value.trim().length < 2 || answer.value.trim().length < 2) { status.textContent = "问题和答案都至少需要 2 个字。"; return; }
    const body = { question: q.value.trim(), answer: answer.value.trim(), author: state.editor.name, questions: together.checked ? questions : [] };
    const result = await api(kbPath("/faq"), { method: "POST", body });
    if (!result.ok) { status.textContent = "保存失败:" + failure(result); status.classList.add("error"); return; }
    await settled(listName, `已保存到 ${result.data.file}` + (reindex.checked ? ",正在重建索引。" : ",重建索引后生效。"));
    if (reindex.checked) await startReindex(false);
  });
  return form;
}
