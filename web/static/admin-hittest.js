// The hit-test tab (命中测试): a question put to the bot as a customer or an agent would put it,
// with the answer, the band against its thresholds, what the decision model saw of the top
// passage, and the candidates in the order the bot answers from, with their probability and every score. Nothing is
// recorded or counted.
import { api, el } from "./common.js";
import { $, BANDS, clearMessages, failure, say, state } from "./admin-shared.js";

// bot/features.py's names; one not listed here shows under its own name.
const SIGNALS = {
  dense: "语义相似度", sentence: "最相似句子", question_cosine: "问法相似度", bm25: "关键词匹配(log)", question_bm25: "问法关键词匹配(log)",
  fused_share: "融合分占比", rank: "检索名次(倒数)", gap_to_top: "与第一名的差距", margin: "领先下一名", dense_rank: "语义名次(倒数)",
  sparse_rank: "关键词名次(倒数)", coverage: "问题词覆盖", known_coverage: "已知词覆盖", unknown_share: "生词比例",
  question_coverage: "问法词覆盖", heading_coverage: "标题词覆盖", asks_amount: "问的是数量或时间", states_asked_amount: "段落给出数量或时间",
  faq: "编辑撰写的答案", agent: "坐席提问",
};
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
  const verdict = `${BANDS[hit.band]}(置信度 ${number(hit.confidence)};回答线 ${number(hit.thresholds.answer)},建议线 ${number(hit.thresholds.suggest)})`;
  const nodes = [
    el("p", { class: "band " + hit.band, "data-band": hit.band, text: verdict }),
    el("h3", { text: "机器人的回答" }),
    el("p", { class: "hit-answer", text: hit.answer }),
  ];
  if (hit.suggestions.length) nodes.push(el("ul", { "aria-label": "您是想问" }, hit.suggestions.map((s) => el("li", { text: s.question }))));
  if (Object.keys(hit.signals).length) {
    nodes.push(el("h3", { text: "置信度的依据(第一名段落的特征)" }), el("dl", { class: "facts signals" }, Object.entries(hit.signals).flatMap(([k, v]) => [el("dt", { text: SIGNALS[k] || k }), el("dd", { text: number(v) })])));
  }
  nodes.push(el("h3", { text: "检索到的段落" }), passagesTable(hit.passages));
  return nodes;
}

function passagesTable(passages) {
  if (!passages.length) return el("p", { class: "muted", text: "没有检索到段落。" });
  const columns = ["名次", "段落", "回答概率", "融合分", "语义", "关键词", "匹配的问法", "问法相似度", "语义名次", "关键词名次"];
  const head = el("tr", {}, columns.map((c) => el("th", { text: c })));
  const rows = passages.map((p) => el("tr", { class: "hit-row" }, [
    el("td", { class: "num", text: String(p.rank) }),
    el("td", {}, [el("div", { class: "path", text: p.section }), el("div", { class: "passage", text: p.text })]),
    el("td", { class: "num", text: number(p.probability) }), el("td", { class: "num", text: number(p.score) }), el("td", { class: "num", text: number(p.dense_score) }), el("td", { class: "num", text: number(p.bm25_score) }),
    el("td", { text: p.question || "—" }), el("td", { class: "num", text: number(p.question_score) }),
    el("td", { class: "num", text: p.dense_rank ?? "—" }), el("td", { class: "num", text: p.bm25_rank ?? "—" }),
  ]));
  return el("table", { "aria-label": "检索到的段落" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}
