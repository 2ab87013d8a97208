// The editor page: the index being served, upload a manual, re-index with live progress and a
// per-document change summary, roll back, and the unanswered questions turned into FAQ answers.
import { announce, api, el, errorText, formatTime, setupLogin } from "./common.js";

const POLL_MS = 600;
const STAGES = {
  load: "读取文档", chunk: "切分段落", embed: "计算向量", write: "写入索引文件",
  check: "质量检查(开发集 Recall@5)", publish: "发布新版本", switch: "切换到新版本",
};
const $ = (id) => document.getElementById(id);
let me = null;
let polling = null;
// Every editor action is on the knowledge base chosen here.
const kbPath = (tail) => "/api/admin/kbs/" + encodeURIComponent($("kb").value) + tail;

setupLogin({
  role: "admin",
  verify: (token) => api("/api/admin/kbs", { token }),
  onReady: async (editor) => {
    me = editor;
    const kbs = await api("/api/admin/kbs");
    if (kbs.ok) $("kb").replaceChildren(...kbs.data.map((kb) => el("option", { value: kb.id, text: `${kb.name}(${kb.id})` })));
    const asked = new URLSearchParams(location.search).get("kb");  // a reload stays on the editor's kb
    if (asked && kbs.ok && kbs.data.some((kb) => kb.id === asked)) $("kb").value = asked;
    showKb();
  },
});
$("kb").addEventListener("change", () => {
  history.replaceState(null, "", "?kb=" + encodeURIComponent($("kb").value));
  showKb();
});

function showKb() {
  clearTimeout(polling);
  polling = null;
  $("reindex-result").replaceChildren();
  $("upload-status").textContent = "";
  loadIndex();
  loadUnanswered();
  api(kbPath("/reindex")).then((r) => r.ok && r.data.state === "running" && showReindex(r.data));
}

// ---- the index being served ----
async function loadIndex() {
  const asked = $("kb").value;
  const result = await api(kbPath("/index"));
  if ($("kb").value !== asked) return;  // the editor switched kb meanwhile: a newer call shows that one
  if (!result.ok) { $("index-info").replaceChildren(el("dd", { class: "error", text: errorText(result) })); return; }
  const info = result.data;
  const rows = [["版本", info.version], ["构建时间", formatTime(info.built_at)], ["文档数", info.docs], ["段落数", info.chunks], ["关联问题", info.questions], ["模型", info.model + "(" + info.dimension + " 维)"], ["知识库", info.kb]];
  $("index-info").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
}

// ---- upload ----
$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  $("upload-status").textContent = "上传中…";
  try {
    const result = await api(kbPath("/documents"), { method: "POST", form });
    $("upload-status").textContent = result.ok
      ? `已上传 ${result.data.document}(《${result.data.title}》,${result.data.bytes} 字节)。点击“重建索引”使其生效。`
      : "上传失败:" + errorText(result);
  } catch (e) {
    $("upload-status").textContent = "上传失败:无法连接服务器。";
  }
});

// ---- re-index with live progress ----
$("reindex").addEventListener("click", () => startReindex());

export async function startReindex() {
  const force = $("force").checked;
  const result = await api(kbPath("/reindex") + (force ? "?force=true" : ""), { method: "POST" });
  if (!result.ok) { announce(errorText(result)); if (result.status !== 409) return; }
  if (result.ok) showReindex(result.data);
  pollReindex();
}

function pollReindex() {
  clearTimeout(polling);
  polling = setTimeout(async () => {
    let result;
    try { result = await api(kbPath("/reindex")); } catch (e) { pollReindex(); return; }
    if (result.ok) showReindex(result.data);
    if (!result.ok || result.data.state === "running") pollReindex();
  }, POLL_MS);
}

function showReindex(status) {
  const running = status.state === "running";
  $("reindex").disabled = running;
  $("rollback").disabled = running;
  $("progress-box").hidden = !running;
  if (running) {
    const p = status.progress;
    const stage = p ? STAGES[p.stage] || p.stage : "准备中";
    $("progress-label").textContent = p && p.total ? `${stage}:${p.done} / ${p.total}` : stage + "…";
    $("progress").value = p && p.total ? p.done / p.total : 0;
    $("reindex-result").replaceChildren();
    if (!polling) pollReindex();
    return;
  }
  polling = null;
  if (status.state === "done") {
    $("reindex-result").replaceChildren(el("p", { text: "完成:" + status.summary }), changeTable(status.changes || {}));
    loadIndex();
  } else if (status.state === "failed") {
    $("reindex-result").replaceChildren(el("p", { class: "error", role: "alert", text: "重建失败,仍在使用原索引:" + status.error }));
  }
}

function changeTable(changes) {
  const docs = Object.keys(changes);
  if (!docs.length) return el("p", { class: "muted", text: "各文档内容均无变化。" });
  const head = el("tr", {}, [el("th", { text: "文档" }), el("th", { class: "num", text: "新增段落" }), el("th", { class: "num", text: "删除段落" }), el("th", { class: "num", text: "改动章节" })]);
  const rows = docs.map((doc) => el("tr", {}, [
    el("td", { text: doc }), ...["added", "removed", "changed"].map((k) => el("td", { class: "num", text: String(changes[doc][k]) })),
  ]));
  return el("table", { "aria-label": "各文档的变化" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}

// ---- roll back: a second click confirms ----
$("rollback").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  if (!button.dataset.armed) {
    button.dataset.armed = "1";
    button.textContent = "确认回滚?再点一次";
    setTimeout(() => { delete button.dataset.armed; button.textContent = "回滚到上一版本"; }, 5000);
    return;
  }
  delete button.dataset.armed;
  button.textContent = "回滚到上一版本";
  const result = await api(kbPath("/rollback"), { method: "POST" });
  announce(result.ok ? "已回滚到版本 " + result.data.version : errorText(result));
  loadIndex();
});

// ---- unanswered questions → approved FAQ answers ----
$("unanswered-refresh").addEventListener("click", loadUnanswered);

async function loadUnanswered() {
  $("unanswered-status").textContent = "加载中…";
  const asked = $("kb").value;
  const result = await api(kbPath("/unanswered"));
  if ($("kb").value !== asked) return;
  if (!result.ok) { $("unanswered-status").textContent = errorText(result); return; }
  $("unanswered-status").textContent = result.data.length ? `${result.data.length} 组问题` : "暂无未解答的问题。";
  $("unanswered").replaceChildren(...result.data.map(renderGroup));
}

function renderGroup(group) {
  const item = el("li", {}, [
    el("div", {}, [el("span", { class: "count", title: "被问次数", text: String(group.count) }), el("strong", { text: group.question })]),
  ]);
  if (group.examples.length > 1) {
    item.append(el("details", {}, [el("summary", { text: `相近的问法(${group.examples.length})` }), el("ul", {}, group.examples.map((q) => el("li", { text: q })))]));
  }
  const write = el("button", { type: "button", text: "撰写答案", onclick: () => { write.hidden = true; item.append(faqForm(group.question, item)); } });
  item.append(write);
  return item;
}

function faqForm(question, item) {
  const ids = "faq-" + Math.random().toString(36).slice(2);
  const q = el("input", { type: "text", id: ids + "-q", maxlength: "200", required: true });
  q.value = question;
  const answer = el("textarea", { id: ids + "-a", rows: "4", maxlength: "2000", required: true });
  const reindex = el("input", { type: "checkbox", id: ids + "-r", checked: true });
  const status = el("p", { role: "status" });
  const form = el("form", { class: "faq-form", "aria-label": "撰写答案" }, [
    el("label", { for: ids + "-q", text: "问题" }), q,
    el("label", { for: ids + "-a", text: "答案(经审核的标准答案,会注明编辑和日期)" }), answer,
    el("label", {}, [reindex, " 保存后立即重建索引"]),
    el("button", { type: "submit", class: "primary", text: "保存答案" }), status,
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (q.value.trim().length < 2 || answer.value.trim().length < 2) { status.textContent = "问题和答案都至少需要 2 个字。"; return; }
    const result = await api(kbPath("/faq"), { method: "POST", body: { question: q.value.trim(), answer: answer.value.trim(), author: me.name } });
    if (!result.ok) { status.textContent = "保存失败:" + errorText(result); return; }
    status.textContent = `已保存到 ${result.data.file}` + (reindex.checked ? ",正在重建索引。" : ",重建索引后生效。");
    item.classList.add("done");
    if (reindex.checked) startReindex();
  });
  setTimeout(() => answer.focus(), 0);
  return form;
}
