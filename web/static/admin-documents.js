// The documents tab: upload, the list (title, source, date, passages, last change, state against
// the served index), a preview of the text as the indexer reads it, download, replace, delete.
import { api, el, formatTime, tokenStore } from "./common.js";
import { $, DOC_STATES, clearMessages, confirmButton, failure, kbApi, kbPath, registerPanel, reloadPanels, say } from "./admin-shared.js";

registerPanel(loadDocuments);

export async function loadDocuments() {
  $("preview").hidden = true;
  const result = await kbApi("/documents");
  if (!result) return;
  if (!result.ok) { say("documents-status", failure(result), true); return; }
  $("documents").tBodies[0].replaceChildren(...result.data.map(documentRow));
  const options = result.data.filter((d) => d.state !== "deleted").map((d) => el("option", { value: d.doc, text: d.title || d.doc }));
  $("passage-doc").replaceChildren(el("option", { value: "", text: "全部文档" }), ...options);
  if (!result.data.length) say("documents-status", "这个知识库还没有文档。");
}

function documentRow(doc) {
  const actions = doc.state === "deleted" ? [] : [
    el("button", { type: "button", text: "预览", onclick: () => preview(doc) }),
    el("button", { type: "button", text: "下载", onclick: () => download(doc) }),
    replaceControl(doc),
    confirmButton("删除", "确认删除?再点一次", () => remove(doc)),
  ];
  const state = el("span", { class: "doc-state " + doc.state, text: DOC_STATES[doc.state] || doc.state, title: doc.error || "" });
  return el("tr", { "data-doc": doc.doc }, [
    el("td", { text: doc.file }), el("td", { text: doc.title || "—" }), el("td", { text: doc.source || "—" }), el("td", { text: doc.date || "—" }),
    el("td", { class: "num", text: String(doc.passages) }), el("td", { text: doc.modified ? formatTime(doc.modified) : "—" }),
    el("td", {}, [state]), el("td", { class: "actions" }, actions),
  ]);
}

// ---- upload ----
$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  clearMessages();
  say("upload-status", `正在检查 ${file.name}…`);
  const result = await send(kbPath("/documents"), "POST", file);
  if (!result) return;
  say("upload-status", uploaded(result.data, "已上传"));
  $("upload-form").reset();
  reloadPanels();
});

async function send(path, method, file, statusId = "upload-status") {
  const form = new FormData();
  form.append("file", file);
  let result;
  try { result = await api(path, { method, form }); } catch (e) { say(statusId, "上传失败:无法连接服务器。", true); return null; }
  if (!result.ok) { say(statusId, "上传失败,知识库未改变:" + failure(result), true); return null; }
  return result;
}

function uploaded(data, verb) {
  const date = data.date ? `,日期 ${data.date}` : "";
  return `${verb} ${data.document}(《${data.title}》${date},${data.passages} 个段落)。点击“重建索引”使其生效。`;
}

// ---- one document ----
async function preview(doc) {
  clearMessages();
  const result = await api(kbPath("/documents/" + encodeURIComponent(doc.doc)));
  if (!result.ok) { say("documents-status", failure(result), true); return; }
  const box = $("preview");
  box.replaceChildren(el("h3", { text: "预览:" + (result.data.title || doc.doc) }), ...renderMarkdown(result.data.markdown || ""));
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

/** The document's Markdown as headings, paragraphs, question lines and table rows: text only, never HTML. */
function renderMarkdown(markdown) {
  const body = markdown.replace(/^---\n[\s\S]*?\n---\n?/, "");
  const nodes = [];
  for (const line of body.split("\n")) {
    const text = line.trim();
    if (!text || /^\|?\s*:?-{3,}/.test(text)) continue;
    const heading = text.match(/^(#{1,6})\s+(.*)$/);
    if (heading) nodes.push(el("h" + Math.min(heading[1].length + 2, 6), { text: heading[2] }));
    else if (/^>\s*问法/.test(text)) nodes.push(el("p", { class: "question-line", text: text.replace(/^>\s*/, "") }));
    else if (text.startsWith("|")) nodes.push(el("p", { class: "table-row", text: text.replace(/^\||\|$/g, "").split("|").map((c) => c.trim()).join(" │ ") }));
    else nodes.push(el("p", { text }));
  }
  return nodes;
}

async function download(doc) {
  clearMessages();
  const response = await fetch(kbPath("/documents/" + encodeURIComponent(doc.doc) + "/file"), { headers: { Authorization: "Bearer " + currentToken() } });
  if (!response.ok) { say("documents-status", "下载失败(HTTP " + response.status + ")", true); return; }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: doc.file });
  document.body.append(link);
  link.click();
  link.remove();
}

function currentToken() {
  return (tokenStore("admin").get() || {}).token;
}

function replaceControl(doc) {
  const input = el("input", { type: "file", accept: ".md,.txt,.docx,.pdf,.html,.htm", class: "replace-file", "aria-label": "替换 " + doc.file });
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    clearMessages();
    say("documents-status", `正在检查 ${file.name}…`);
    const result = await send(kbPath("/documents/" + encodeURIComponent(doc.doc)), "PUT", file, "documents-status");
    if (!result) return;
    say("documents-status", uploaded(result.data, "已替换为"));
    reloadPanels();
  });
  return el("label", { class: "replace" }, ["替换", input]);
}

async function remove(doc) {
  clearMessages();
  const result = await api(kbPath("/documents/" + encodeURIComponent(doc.doc)), { method: "DELETE" });
  if (!result.ok) { say("documents-status", "删除失败:" + failure(result), true); return; }
  say("documents-status", `已删除 ${result.data.document}。重建索引后顾客不再看到它;回滚到之前的版本可以找回。`);
  reloadPanels();
}
