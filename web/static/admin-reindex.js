// Re-indexing the chosen kb with live progress (stage and done/total, embedding counted per
// batch), then the outcome in Chinese and the chunks added / removed / changed per document.
import { api, el } from "./common.js";
import { $, clearMessages, failure, kbPath, reloadPanels, zh } from "./admin-shared.js";

const POLL_MS = 500;
const STAGES = {
  load: "读取文档", chunk: "切分段落", embed: "计算向量", write: "写入索引文件",
  check: "质量检查(开发集 Recall@5)", publish: "发布新版本", switch: "切换到新版本",
};
const ORDER = Object.keys(STAGES);
let polling = null;
let followed = null;  // the kb whose build is shown

$("reindex").addEventListener("click", () => startReindex());

/** Start a re-index of the chosen kb and follow it; resolves when it has ended. An action that
 * re-indexes after its own change passes fresh=false, keeping its own message. */
export async function startReindex(fresh = true) {
  if (fresh) clearMessages();
  const result = await api(kbPath("/reindex") + ($("force").checked ? "?force=true" : ""), { method: "POST" });
  if (!result.ok && result.status !== 409) { $("reindex-result").replaceChildren(el("p", { class: "error", role: "alert", text: failure(result) })); return null; }
  if (!result.ok) $("reindex-result").replaceChildren(el("p", { class: "muted", text: "这个知识库已有重建索引在进行,下面显示它的进度。" }));
  return followReindex(result.ok ? result.data : { state: "running" });
}

/** Show a running build and poll it until it ends; resolves with its final status. */
export function followReindex(status) {
  followed = $("kb").value;
  showProgress(status);
  return new Promise((resolve) => poll(resolve));
}

function poll(resolve) {
  clearTimeout(polling);
  polling = setTimeout(async () => {
    if ($("kb").value !== followed) { hideProgress(); resolve(null); return; }  // another kb was chosen
    let result;
    try { result = await api(kbPath("/reindex")); } catch (e) { poll(resolve); return; }
    if (result.ok && result.data.state === "running") { showProgress(result.data); poll(resolve); return; }
    if (!result.ok) { poll(resolve); return; }
    showOutcome(result.data);
    resolve(result.data);
  }, POLL_MS);
}

function showProgress(status) {
  $("reindex").disabled = true;
  $("progress-box").hidden = false;
  const p = status.progress;
  if (!p) { $("progress-label").textContent = "准备中…"; $("progress").value = 0; return; }
  const step = `第 ${ORDER.indexOf(p.stage) + 1}/${ORDER.length} 步`;
  $("progress-label").textContent = `${step} ${STAGES[p.stage] || p.stage}:${p.done} / ${p.total}`;
  $("progress").value = p.total ? p.done / p.total : 0;
}

function hideProgress() {
  $("reindex").disabled = false;
  $("progress-box").hidden = true;
}

function showOutcome(status) {
  hideProgress();
  if (status.state === "done") {
    const r = status.result;
    const line = `完成:新版本 ${r.version},${r.docs} 个文档、${r.chunks} 个段落、${r.questions} 个问法;新计算向量 ${r.embedded} 条,复用 ${r.reused} 条,用时 ${r.seconds} 秒。`;
    $("reindex-result").replaceChildren(el("p", { text: line }), changeTable(status.changes || {}));
    reloadPanels();
  } else if (status.state === "failed") {
    $("reindex-result").replaceChildren(el("p", { class: "error", role: "alert", text: "重建失败,仍在使用原索引:" + zh(status.error) }));
  }
}

function changeTable(changes) {
  const docs = Object.keys(changes);
  if (!docs.length) return el("p", { class: "muted", text: "各文档的段落均无变化。" });
  const head = el("tr", {}, [el("th", { text: "文档" }), el("th", { class: "num", text: "新增段落" }), el("th", { class: "num", text: "删除段落" }), el("th", { class: "num", text: "改动章节" })]);
  const rows = docs.map((doc) => el("tr", {}, [
    el("td", { text: doc }), ...["added", "removed", "changed"].map((k) => el("td", { class: "num", text: String(changes[doc][k]) })),
  ]));
  return el("table", { "aria-label": "各文档的变化" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}
