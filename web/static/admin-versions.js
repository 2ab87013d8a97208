// The versions tab: the kept index versions (built at, counts, model, quality gate), what changed
// between two of them, and rolling back to any of them (with the documents it was built from).
import { api, el, formatTime } from "./common.js";
import { $, clearMessages, confirmButton, failure, kbApi, kbPath, registerPanel, reloadPanels, say } from "./admin-shared.js";

registerPanel(loadVersions);

async function loadVersions() {
  $("diff").replaceChildren();
  const result = await kbApi("/versions");
  if (!result) return;
  if (!result.ok) { say("versions-status", failure(result), true); return; }
  const versions = result.data.versions;
  $("versions").tBodies[0].replaceChildren(...versions.map(versionRow));
  const options = () => versions.map((v) => el("option", { value: v.version, text: v.version + (v.current ? "(当前)" : "") }));
  $("diff-a").replaceChildren(...options());
  $("diff-b").replaceChildren(...options());
  if (versions.length > 1) $("diff-a").value = versions[1].version;
  if (!versions.length) say("versions-status", "还没有版本:上传文档后重建索引。");
}

function gateText(gate) {
  if (!gate || gate.state === "skipped") return "未检查(已跳过)";
  if (gate.state === "first") return "首个版本,无可比较";
  if (!gate.questions) return "通过(没有可比较的问题)";
  return `通过:Recall@5 ${gate.recall_before} → ${gate.recall_after}(${gate.questions} 题)`;
}

function versionRow(v) {
  const action = v.current ? el("span", { class: "badge current", text: "当前版本" }) : confirmButton("回滚到此版本", "确认回滚?再点一次", () => rollback(v.version));
  return el("tr", { "data-version": v.version }, [
    el("td", { text: v.version }), el("td", { text: v.built_at ? formatTime(v.built_at) : "—" }),
    el("td", { class: "num", text: String(v.docs) }), el("td", { class: "num", text: String(v.chunks) }), el("td", { class: "num", text: String(v.questions) }),
    el("td", { text: v.model }), el("td", { text: gateText(v.gate) }), el("td", {}, [action]),
  ]);
}

async function rollback(version) {
  clearMessages();
  const result = await api(kbPath("/rollback"), { method: "POST", body: { version } });
  if (!result.ok) { say("versions-status", "回滚失败:" + failure(result), true); return; }
  const docs = result.data.documents;
  const parts = [`已回滚到版本 ${result.data.version}`];
  if (docs.restored.length) parts.push("恢复了文档 " + docs.restored.join("、"));
  if (docs.removed.length) parts.push("移出了该版本没有的文档 " + docs.removed.join("、"));
  if (docs.missing.length) parts.push("该版本的文档没有留存副本,文档未改动");
  reloadPanels();
  say("versions-status", parts.join(";") + "。");
}

$("diff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const a = $("diff-a").value, b = $("diff-b").value;
  if (!a || !b) return;
  const result = await api(kbPath(`/versions/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`));
  if (!result.ok) { say("versions-status", failure(result), true); return; }
  $("diff").replaceChildren(...renderDiff(result.data));
});

const KINDS = { added: "新增段落", removed: "删除段落", changed: "改动段落", questions_added: "新增问法", questions_removed: "删除问法" };

function renderDiff(diff) {
  const c = diff.counts;
  const summary = `从 ${diff.a} 到 ${diff.b}:新增段落 ${c.added},删除段落 ${c.removed},改动段落 ${c.changed},新增问法 ${c.questions_added},删除问法 ${c.questions_removed}。`;
  const nodes = [el("p", { class: "diff-summary", text: summary })];
  for (const [kind, label] of Object.entries(KINDS)) {
    if (!diff[kind].length) continue;
    nodes.push(el("h3", { text: label }), el("ul", { class: "diff-list", "aria-label": label }, diff[kind].map((item) => diffItem(kind, item))));
  }
  return nodes;
}

function diffItem(kind, item) {
  if (kind === "changed") return el("li", {}, [el("div", { class: "path", text: item.after.section }), el("del", { text: item.before.text }), el("ins", { text: item.after.text })]);
  const extra = item.questions ? [el("div", { class: "questions-changed", text: item.questions.join(" / ") })] : [];
  return el("li", {}, [el("div", { class: "path", text: item.section }), el("div", { class: "passage", text: item.text }), ...extra]);
}
