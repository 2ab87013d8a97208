// What the editor page's modules share: the chosen knowledge base, its API paths, messages in
// Chinese, and the panels to reload when the kb or its index changes.
import { api, errorText } from "./common.js";

export const $ = (id) => document.getElementById(id);
export const state = { kb: null, editor: null, kbs: [] };
export const kbPath = (tail) => "/api/admin/kbs/" + encodeURIComponent(state.kb) + tail;

const CJK = /[\u4e00-\u9fff]/;
const NESTED = /:\s*([\u4e00-\u9fff第].*)$/;

// The server's messages are "中文 / English" (an inner reason may be bilingual too: "x.md: 前置
// 元数据无效 / invalid front matter: 第 3 行… / line 3: …"): the page shows the Chinese.
export function zh(message) {
  const text = String(message || "");
  if (!CJK.test(text)) return text ? "内部错误:" + text : "";
  const [first, ...rest] = text.split(" / ");
  const inner = rest.map((part) => (part.match(NESTED) || [])[1]).filter(Boolean);
  return [first, ...inner].join(":");
}

export const failure = (result) => zh(errorText(result));

/** A call on the chosen kb's API; null when the editor chose another kb meanwhile (the newer
 * call shows that one). */
export async function kbApi(tail, options) {
  const kb = state.kb;
  const result = await api(kbPath(tail), options);
  return state.kb === kb ? result : null;
}

/** A message in one of the page's status lines. */
export function say(id, text, isError = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("error", isError);
}

/** Every status line emptied: on login and at the start of each action, no message is stale. */
export function clearMessages() {
  for (const node of document.querySelectorAll(".status")) {
    node.replaceChildren();
    node.classList.remove("error");
  }
  const toast = $("toast");
  toast.textContent = "";
  toast.classList.remove("show");
}

const panels = [];
/** A panel's loader, called when the kb is chosen and after each change of its index. */
export function registerPanel(load) { panels.push(load); }
export function reloadPanels() { for (const load of panels) load(); }

export const BANDS = { answer: "直接回答", suggest: "给出“您是想问”", handoff: "转人工" };
export const DOC_STATES = { indexed: "已生效", changed: "已修改,待重建索引", new: "新文档,待重建索引", deleted: "已删除,重建索引后移除", unreadable: "无法解析" };

/** A two-step button: the first click asks, the second (within 5 s) does it. */
export function confirmButton(label, asking, action) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.addEventListener("click", () => {
    if (!button.dataset.armed) {
      button.dataset.armed = "1";
      button.textContent = asking;
      setTimeout(() => { delete button.dataset.armed; button.textContent = label; }, 5000);
      return;
    }
    delete button.dataset.armed;
    button.textContent = label;
    action();
  });
  return button;
}
