// The hit-test tab (命中测试): a question put to the bot as a customer or an agent would put it,
// with the answer, the band against its thresholds, the confidence signals and the ranked
// passages with every score. Nothing is recorded or counted.
import { api, el } from "./common.js";
import { $, BANDS, clearMessages, failure, say, state } from "./admin-shared.js";

const SIGNALS = { dense: "语义相似度", bm25: "关键词匹配", agreement: "两路检索一致", coverage: "问题词覆盖", margin: "领先第二名" };
const number = (value, digits = 3) => (value === null || value === undefined ? "—" : Number(value).toFixed(digits));

$("hit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  $("hit-result").replaceChildren();
  const body = { kb: state.kb, question: $("hit-question").value, persona: $("hit-persona").value };
  say("hit-status", "测试中…");
  const result = await api("/api/admin/hit-test", { method: "POST", body });
  if (!result.ok) { say("hit-status", failure(result), true); return; }
  say("hit-status", "");
  $("hit-result").replaceChildren(...renderHit(result.data));
});

function renderHit(hit) {
  const verdict = `${BANDS[hit.band]}(置信度 ${number(hit.confidence)};回答线 ${hit.thresholds.answer},建议线 ${hit.thresholds.suggest})`;
  const nodes = [
    el("p", { class: "band " + hit.band, "data-band": hit.band, text: verdict }),
    el("h3", { text: "机器人的回答" }),
    el("p", { class: "hit-answer", text: hit.answer }),
  ];
  if (hit.suggestions.length) nodes.push(el("ul", { "aria-label": "您是想问" }, hit.suggestions.map((s) => el("li", { text: s.heading + ":" + s.question }))));
  if (Object.keys(hit.signals).length) {
    nodes.push(el("h3", { text: "置信度的依据(第一名段落)" }), el("dl", { class: "facts signals" }, Object.entries(hit.signals).flatMap(([k, v]) => [el("dt", { text: SIGNALS[k] || k }), el("dd", { text: number(v) })])));
  }
  nodes.push(el("h3", { text: "检索到的段落" }), passagesTable(hit.passages));
  return nodes;
}

function passagesTable(passages) {
  if (!passages.length) return el("p", { class: "muted", text: "没有检索到段落。" });
  const columns = ["名次", "段落", "总分", "语义", "关键词", "匹配的问法", "问法相似度", "语义名次", "关键词名次"];
  const head = el("tr", {}, columns.map((c) => el("th", { text: c })));
  const rows = passages.map((p) => el("tr", { class: "hit-row" }, [
    el("td", { class: "num", text: String(p.rank) }),
    el("td", {}, [el("div", { class: "path", text: p.section }), el("div", { class: "passage", text: p.text })]),
    el("td", { class: "num", text: number(p.score) }), el("td", { class: "num", text: number(p.dense_score) }), el("td", { class: "num", text: number(p.bm25_score) }),
    el("td", { text: p.question || "—" }), el("td", { class: "num", text: number(p.question_score) }),
    el("td", { class: "num", text: p.dense_rank ?? "—" }), el("td", { class: "num", text: p.bm25_rank ?? "—" }),
  ]));
  return el("table", { "aria-label": "检索到的段落" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}
