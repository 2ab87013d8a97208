// The agent console: search-as-you-type over the manuals with highlighted terms and copy, and
// the ticket queue (tickets.js). Keyboard: / focus search, ↑/↓ move, Enter expand, c copy.
import { api, copyText, el, errorText, isTyping, loadKbOptions, setupLogin } from "./common.js";
import { startTickets } from "./tickets.js";

const DEBOUNCE_MS = 250;
const RESULTS = 8;
const search = document.getElementById("search");
const results = document.getElementById("results");
const status = document.getElementById("search-status");
const kbFilter = document.getElementById("kb-filter");
let hits = [];
let selected = -1;
let timer = null;
let inFlight = null;
let sequence = 0;

setupLogin({
  role: "agent",
  verify: (token) => api("/api/tickets?status=open", { token }),
  onReady: (me) => { loadKbOptions(kbFilter); startTickets(me, kbFilter); search.focus(); },
});
kbFilter.addEventListener("change", () => { if (search.value.trim()) runSearch(); });

// ---- searching ----
search.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(runSearch, DEBOUNCE_MS);
});

async function runSearch() {
  const query = search.value.trim();
  if (inFlight) inFlight.abort();
  if (!query) { show([], [], ""); return; }
  const mine = ++sequence;
  inFlight = new AbortController();
  status.textContent = "检索中…";
  try {
    const params = new URLSearchParams({ q: query, k: RESULTS });
    if (kbFilter.value) params.set("kb", kbFilter.value);
    const result = await api("/api/search?" + params, { signal: inFlight.signal });
    if (mine !== sequence) return; // a newer query is already on its way
    if (!result.ok) { show([], [], errorText(result)); return; }
    show(result.data.results, result.data.terms || [], result.data.results.length ? `${result.data.results.length} 条结果` : "没有找到相关内容");
  } catch (e) {
    if (e.name !== "AbortError" && mine === sequence) show([], [], "无法连接服务器,请稍后再试。");
  }
}

function show(list, terms, message) {
  hits = list;
  selected = -1;
  status.textContent = message;
  results.replaceChildren(...list.map((hit, i) => renderHit(hit, i, terms)));
}

// ---- one result: title, heading path, passage with matched terms marked ----
function renderHit(hit, index, terms) {
  const phrase = phraseRow(hit.text);
  const body = phrase
    ? el("dl", { class: "phrase" }, phrase.columns.flatMap(([head, value]) => [el("dt", { text: head }), el("dd", {}, highlight(value, terms))]))
    : el("p", { class: "passage" }, highlight(hit.text, terms));
  const toggle = el("button", { type: "button", class: "link", "aria-expanded": "false", text: "展开", onclick: () => expand(index) });
  const actions = el("div", { class: "actions" }, [
    toggle,
    el("button", { type: "button", class: "link", text: "复制段落", onclick: () => copyText(passageText(hit)) }),
    phrase && phrase.answer ? el("button", { type: "button", class: "link", text: "复制应对用语", onclick: () => copyText(phrase.answer) }) : null,
  ]);
  const item = el("li", { class: "hit", tabindex: "-1", "data-index": String(index) }, [
    el("div", { class: "hit-title" }, [el("span", { class: "rank", text: String(index + 1) }), "《" + hit.title + "》", hit.date ? el("span", { class: "muted", text: " " + hit.date }) : null]),
    el("div", { class: "path", text: hit.section }),
    body,
    actions,
  ]);
  item.addEventListener("focus", () => select(index, false));
  return item;
}

/** A phrase-table row ("情况说明 | 应对用语 | 避免用语" header, then the row): its columns. */
function phraseRow(text) {
  const [header, row, ...rest] = text.split("\n");
  if (!row || rest.length || !header.includes(" | ")) return null;
  const heads = header.split(" | ");
  const cells = row.split(" | ");
  if (heads.length !== cells.length) return null;
  const columns = heads.map((head, i) => [head, cells[i]]);
  const answer = columns.find(([head]) => head.includes("应对用语"));
  return { columns, answer: answer ? answer[1] : null };
}

function passageText(hit) {
  return hit.text + "\n——《" + hit.title + "》" + hit.section.split(" › ").slice(1).join(" › ");
}

/** The text as nodes, the query's terms wrapped in <mark>: built from text nodes, never HTML. */
export function highlight(text, terms) {
  const usable = terms.filter((t) => t.length > 1);
  const words = [...new Set(usable.length ? usable : terms)].sort((a, b) => b.length - a.length);
  if (!words.length) return [text];
  const pattern = new RegExp("(" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "gi");
  return text.split(pattern).map((piece, i) => (i % 2 ? el("mark", { text: piece }) : piece)).filter((p) => p !== "");
}

// ---- keyboard ----
function select(index, focus = true) {
  if (!hits.length) return;
  selected = Math.max(0, Math.min(hits.length - 1, index));
  for (const item of results.children) Number(item.dataset.index) === selected ? item.setAttribute("aria-current", "true") : item.removeAttribute("aria-current");
  if (focus) results.children[selected].focus();
}

function expand(index) {
  const item = results.children[index];
  const open = !item.classList.contains("open");
  item.classList.toggle("open", open);
  const toggle = item.querySelector("[aria-expanded]");
  toggle.setAttribute("aria-expanded", String(open));
  toggle.textContent = open ? "收起" : "展开";
}

search.addEventListener("keydown", (event) => {
  if (event.key === "/" && !search.value) event.preventDefault(); // the shortcut pressed while already here
  else if (event.key === "ArrowDown" && hits.length) { event.preventDefault(); select(0); }
  else if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); runSearch(); }
});

results.addEventListener("keydown", (event) => {
  if (isTyping(event.target) || event.target.tagName === "BUTTON" && event.key === "Enter") return;
  if (event.key === "ArrowDown") { event.preventDefault(); select(selected + 1); }
  else if (event.key === "ArrowUp") { event.preventDefault(); selected <= 0 ? search.focus() : select(selected - 1); }
  else if (event.key === "Enter") { event.preventDefault(); expand(selected); }
  else if (event.key === "Escape") { event.preventDefault(); search.focus(); }
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  if (event.key === "/") { event.preventDefault(); search.focus(); search.select(); }
  else if (event.key === "c" && selected >= 0 && hits[selected] && results.contains(document.activeElement)) {
    event.preventDefault();
    copyText(passageText(hits[selected]));
  }
});
