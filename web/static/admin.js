// The editor page: the knowledge-base switcher and its facts, the index being served, and the
// tabs (documents, passages and questions, hit test, versions, the unanswered loop), each a module.
import { api, el, formatTime, setupLogin } from "./common.js";
import { $, clearMessages, failure, kbApi, kbPath, registerPanel, reloadPanels, say, state } from "./admin-shared.js";
import { followReindex } from "./admin-reindex.js";
import "./admin-documents.js";
import "./admin-passages.js";
import "./admin-hittest.js";
import "./admin-versions.js";
import "./admin-loop.js";

setupLogin({
  role: "admin",
  verify: (token) => api("/api/admin/kbs", { token }),
  onReady: async (editor) => {
    clearMessages();
    state.editor = editor;
    await loadKbs(new URLSearchParams(location.search).get("kb"));  // a reload stays on the editor's kb
  },
});

async function loadKbs(chosen) {
  const result = await api("/api/admin/kbs");
  if (!result.ok) { say("kb-status", failure(result), true); return; }
  state.kbs = result.data;
  $("kb").replaceChildren(...result.data.map((kb) => el("option", { value: kb.id, text: `${kb.name}(${kb.id})` })));
  if (chosen && result.data.some((kb) => kb.id === chosen)) $("kb").value = chosen;
  showKb();
}

$("kb").addEventListener("change", () => {
  clearMessages();
  history.replaceState(null, "", "?kb=" + encodeURIComponent($("kb").value));
  showKb();
});

function showKb() {
  state.kb = $("kb").value;
  $("kb-form").hidden = true;
  reloadPanels();
  api(kbPath("/reindex")).then((r) => r.ok && r.data.state === "running" && followReindex(r.data));
}

// ---- the index being served ----
registerPanel(loadIndex);
async function loadIndex() {
  const result = await kbApi("/index");
  if (!result) return;  // another kb was chosen meanwhile
  if (!result.ok) {
    const text = result.status === 503 ? "这个知识库还没有索引:上传文档后点击“重建索引”。" : failure(result);
    $("index-info").replaceChildren(el("dt", { text: "当前索引" }), el("dd", { class: "muted", text }), el("dt", { text: "知识库" }), el("dd", { text: state.kb }));
    return;
  }
  const info = result.data;
  const rows = [["版本", info.version], ["构建时间", formatTime(info.built_at)], ["文档数", info.docs], ["段落数", info.chunks], ["关联问题", info.questions], ["模型", info.model + "(" + info.dimension + " 维)"], ["知识库", info.kb]];
  $("index-info").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
}

// ---- create a kb, or edit the chosen kb's facts ----
const FIELDS = ["name", "organization", "hotline", "greeting"];
let creating = false;

function openFacts(isNew) {
  clearMessages();
  creating = isNew;
  const kb = isNew ? {} : state.kbs.find((k) => k.id === state.kb) || {};
  $("kb-id-row").hidden = !isNew;
  $("kb-id").required = isNew;
  $("kb-id").value = "";
  for (const field of FIELDS) $("kb-" + field).value = kb[field] || "";
  $("kb-quick").value = (kb.quick_questions || []).join("\n");
  $("kb-form").hidden = false;
  $("kb-new").setAttribute("aria-expanded", String(isNew));
  $("kb-edit").setAttribute("aria-expanded", String(!isNew));
  (isNew ? $("kb-id") : $("kb-name")).focus();
}

$("kb-new").addEventListener("click", () => openFacts(true));
$("kb-edit").addEventListener("click", () => openFacts(false));
$("kb-cancel").addEventListener("click", () => { $("kb-form").hidden = true; });
$("kb-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const body = Object.fromEntries(FIELDS.map((field) => [field, $("kb-" + field).value.trim() || null]));
  body.quick_questions = $("kb-quick").value.split("\n").map((q) => q.trim()).filter(Boolean);
  if (creating) body.id = $("kb-id").value.trim();
  const result = creating
    ? await api("/api/admin/kbs", { method: "POST", body })
    : await api(kbPath(""), { method: "PUT", body });
  if (!result.ok) { say("kb-status", "保存失败:" + failure(result), true); return; }
  $("kb-form").hidden = true;
  say("kb-status", creating ? `已新建知识库 ${result.data.name}(${result.data.id}):上传文档后重建索引即可使用。` : `已保存 ${result.data.name} 的资料,顾客端立即生效。`);
  await loadKbs(result.data.id);
});

// ---- tabs ----
const tabs = [...document.querySelectorAll('[role="tab"]')];
function selectTab(tab) {
  for (const other of tabs) {
    const chosen = other === tab;
    other.setAttribute("aria-selected", String(chosen));
    other.tabIndex = chosen ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !chosen;
  }
}
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
});
