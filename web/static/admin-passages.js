// The passages tab: how the kb's documents are cut (heading path, text, kind) with each passage's
// associated questions, added, edited and deleted in place and saved into the kb file.
import { api, el } from "./common.js";
import { $, clearMessages, failure, kbPath, registerPanel, say } from "./admin-shared.js";
import { startReindex } from "./admin-reindex.js";

const PAGE = 30;
let offset = 0;
let latest = 0;  // the newest request: an older one answering late (a search is slower) is not shown

registerPanel(() => loadPassages(true));
$("passage-filter").addEventListener("submit", (event) => { event.preventDefault(); clearMessages(); loadPassages(true); });
$("passage-doc").addEventListener("change", () => loadPassages(true));
$("passages-more").addEventListener("click", () => loadPassages(false));

async function loadPassages(fresh) {
  if (fresh) offset = 0;
  const params = new URLSearchParams({ limit: PAGE, offset });
  if ($("passage-doc").value) params.set("doc", $("passage-doc").value);
  if ($("passage-q").value.trim()) params.set("q", $("passage-q").value.trim());
  const asked = ++latest;
  const result = await api(kbPath("/passages?" + params));
  if (asked !== latest) return;
  if (!result.ok) { say("passages-status", failure(result), true); if (fresh) $("passages").replaceChildren(); return; }
  const page = result.data;
  const items = page.passages.map(passageItem);
  if (fresh) $("passages").replaceChildren(...items); else $("passages").append(...items);
  offset = page.next_offset ?? offset;
  $("passages-more").hidden = page.next_offset === null;
  const found = page.query ? `「${page.query}」的搜索结果:` : "";
  say("passages-status", page.total ? `${found}显示 ${$("passages").children.length} / 共 ${page.total} 个段落` : found + "没有找到段落。");
}

export function passageHeader(passage) {
  return [
    el("div", { class: "path", text: passage.section }),
    el("div", { class: "passage", text: passage.text }),
  ];
}

function passageItem(passage) {
  const item = el("li", { class: "passage-item", "data-id": passage.id });
  const badges = [el("span", { class: "badge", text: passage.kind === "table_row" ? "表格行" : "正文" })];
  if (passage.indexed === false) badges.push(el("span", { class: "badge pending", text: "未重建索引" }));
  item.append(el("div", { class: "badges" }, badges), ...passageHeader(passage), questionEditor(passage, item));
  return item;
}

/** The passage's questions: each editable and deletable, a box to add one, and a save button. */
function questionEditor(passage, item) {
  const list = el("ul", { class: "questions", "aria-label": "关联问题" });
  const addRow = (text) => {
    const input = el("input", { type: "text", value: text, maxlength: "200", "aria-label": "问法" });
    input.value = text;
    const row = el("li", {}, [input, el("button", { type: "button", class: "link", text: "删除", "aria-label": "删除问法 " + text, onclick: () => row.remove() })]);
    list.append(row);
    return input;
  };
  passage.questions.forEach(addRow);
  const fresh = el("input", { type: "text", maxlength: "200", placeholder: "顾客会怎么问?", "aria-label": "新问法" });
  const add = el("button", { type: "button", text: "添加问法", onclick: () => { if (fresh.value.trim()) { addRow(fresh.value.trim()); fresh.value = ""; } fresh.focus(); } });
  fresh.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); add.click(); } });
  const status = el("span", { class: "status", role: "status" });
  const reindex = el("input", { type: "checkbox", checked: true });
  const save = el("button", { type: "button", class: "primary", text: "保存问法", onclick: () => saveQuestions(passage, list, fresh, reindex, status) });
  if (!passage.editable) return el("p", { class: "hint", text: "问法只能写在 Markdown 文档里:把这份文档换成 .md 后即可编辑。" });
  return el("div", { class: "question-editor" }, [list, el("div", { class: "row" }, [fresh, add]), el("div", { class: "row" }, [save, el("label", {}, [reindex, " 保存后重建索引"]), status])]);
}

async function saveQuestions(passage, list, fresh, reindex, status) {
  clearMessages();
  if (fresh.value.trim()) { list.append(el("li", {}, [Object.assign(el("input", { type: "text", "aria-label": "问法" }), { value: fresh.value.trim() })])); fresh.value = ""; }
  const questions = [...list.querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean);
  const result = await api(kbPath("/passages/" + passage.id + "/questions"), { method: "PUT", body: { questions } });
  if (!result.ok) { status.textContent = "未保存:" + failure(result); status.classList.add("error"); return; }
  status.textContent = `已保存 ${result.data.questions.length} 个问法到文档` + (reindex.checked ? ",正在重建索引。" : ",重建索引后生效。");
  if (reindex.checked) startReindex(false);
}
