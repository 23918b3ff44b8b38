// Translator page: a language pair, a text of one or more sentences, /v1/translate; the source and the
// translation are drawn with their words (character offsets from the API) linked on hover, and every
// sentence gets its scores, its alternatives and a table heatmap.
"use strict";

const $ = (id) => document.getElementById(id);
let pairs = [];

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function selectedPair() {
  return pairs[Number($("pair").value)] || pairs[0] || {};
}

function onPairChange() {
  const pair = selectedPair();
  $("source").lang = pair.source || "";
  $("translation").lang = pair.target || "";
}

async function loadLanguages() {
  try {
    const info = await (await fetch("/v1/languages")).json();
    pairs = info.pairs || [];
    const select = $("pair");
    select.replaceChildren(...pairs.map((pair, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = `${pair.source} → ${pair.target} (${pair.model || "model"})`;
      return option;
    }));
    $("key-label").hidden = !info.api_key_required;
    const names = pairs.map((p) => `${p.source} → ${p.target}`).join(", ");
    $("model-info").textContent = `${pairs.length} language pair${pairs.length === 1 ? "" : "s"}: ${names}`;
    onPairChange();
  } catch (err) {
    $("model-info").textContent = "model information unavailable";
  }
}

// How a piece is shown: "▁Hund" (starts a word) as "Hund", a continuation "rad" as "·rad", a lone "▁" as "␣"
// (the same rule as translator/heatmap.py: piece_label). Words are shown as they are.
function pieceLabel(piece) {
  if (piece.startsWith("\u2581")) return piece.slice(1) || "\u2423";
  return `\u00b7${piece}`;
}

function cellColor(weight) {
  const w = Math.max(0, Math.min(1, weight));
  const light = Math.round(97 - 62 * w);
  return `hsl(215, 75%, ${light}%)`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function headerRow(sources) {
  const row = element("tr");
  row.appendChild(element("th"));
  sources.forEach((piece, j) => {
    const th = element("th", "src", piece);
    th.dataset.col = String(j);
    row.appendChild(th);
  });
  return row;
}

function drawHeatmap(table, sources, targets, matrix) {
  table.replaceChildren();
  const head = element("thead");
  head.appendChild(headerRow(sources));
  const body = element("tbody");
  targets.forEach((target, i) => {
    const row = element("tr", "hm-row");
    const label = element("th", "tgt", target);
    label.dataset.row = String(i);
    row.appendChild(label);
    sources.forEach((source, j) => {
      const weight = matrix[i][j];
      const cell = element("td", "cell");
      Object.assign(cell.dataset, { row: String(i), col: String(j), source, target, weight: weight.toFixed(3) });
      cell.style.background = cellColor(weight);
      cell.title = `${source} → ${target}: ${weight.toFixed(3)}`;
      row.appendChild(cell);
    });
    body.appendChild(row);
  });
  table.append(head, body);
}

function onHover(event) {
  const cell = event.target.closest ? event.target.closest("td.cell") : null;
  const tip = $("tooltip");
  document.querySelectorAll(".heatmap th.active").forEach((th) => th.classList.remove("active"));
  if (!cell) {
    tip.hidden = true;
    return;
  }
  const { source, target, weight, row, col } = cell.dataset;
  tip.textContent = `${source} → ${target}: ${weight}`;
  tip.style.left = `${event.clientX + 14}px`;
  tip.style.top = `${event.clientY + 14}px`;
  tip.hidden = false;
  const table = cell.closest("table");
  table.querySelectorAll(`th[data-row="${row}"], th[data-col="${col}"]`).forEach((th) => th.classList.add("active"));
}

// Words: a text is drawn as its characters, with every word (start/end offsets from the API) a span that
// names its sentence and index; hovering or clicking one lights up the words it is linked to.
let sentenceLinks = [];
let pinned = null;

function drawText(box, text, sentences, side) {
  box.replaceChildren();
  const words = [];
  sentences.forEach((sentence, s) => {
    sentence[`${side}_words`].forEach((word, index) => words.push({ ...word, s, index }));
  });
  words.sort((a, b) => a.start - b.start);
  let at = 0;
  words.forEach((word) => {
    if (word.start > at) box.appendChild(document.createTextNode(text.slice(at, word.start)));
    const span = element("span", "word", text.slice(word.start, word.end));
    Object.assign(span.dataset, { side, sentence: String(word.s), index: String(word.index) });
    span.tabIndex = 0;
    box.appendChild(span);
    at = Math.max(at, word.end);
  });
  if (at < text.length) box.appendChild(document.createTextNode(text.slice(at)));
}

function linkedIndices(side, sentence, index) {
  // links are [source word, target word] within a sentence; a source word may link to several target words
  const links = sentenceLinks[sentence] || [];
  return side === "source"
    ? links.filter(([s]) => s === index).map(([, t]) => t)
    : links.filter(([, t]) => t === index).map(([s]) => s);
}

function markWords(word) {
  document.querySelectorAll("#links .word").forEach((w) => w.classList.remove("active", "linked"));
  if (!word) return;
  word.classList.add("active");
  const other = word.dataset.side === "source" ? "target" : "source";
  const sentence = Number(word.dataset.sentence);
  linkedIndices(word.dataset.side, sentence, Number(word.dataset.index)).forEach((i) => {
    const selector = `#links .word[data-side="${other}"][data-sentence="${sentence}"][data-index="${i}"]`;
    document.querySelectorAll(selector).forEach((linked) => linked.classList.add("linked"));
  });
}

function onWordHover(event) {
  const word = event.target.closest(".word");
  markWords(word || pinned);
}

function onWordClick(event) {
  const word = event.target.closest(".word");
  if (pinned) pinned.classList.remove("pinned");
  pinned = word && word !== pinned ? word : null;
  if (pinned) pinned.classList.add("pinned");
  markWords(pinned);
}

function drawSentence(sentence, index, words) {
  const box = element("section", "sentence");
  box.dataset.index = String(index);
  const title = `${index + 1}. score ${sentence.score.toFixed(3)} · confidence ${(100 * sentence.confidence).toFixed(1)} %`;
  box.appendChild(element("h3", "", title));
  if (sentence.n_best) {
    const list = element("ol", "alternatives");
    sentence.n_best.forEach((alt) => {
      const item = element("li", "", alt.translation || "(empty)");
      item.appendChild(element("span", "muted", ` score ${alt.score.toFixed(3)} · confidence ${(100 * alt.confidence).toFixed(1)} %`));
      list.appendChild(item);
    });
    box.appendChild(list);
  }
  const wrap = element("div", "heatmap-wrap");
  const table = element("table", "heatmap");
  table.setAttribute("aria-label", `alignment of sentence ${index + 1}`);
  if (words && sentence.word_alignment) {
    const w = sentence.word_alignment;
    drawHeatmap(table, w.source_words, w.target_words, w.alignment);
  } else {
    drawHeatmap(table, sentence.source_tokens.map(pieceLabel), sentence.target_tokens.map(pieceLabel), sentence.alignment);
  }
  table.addEventListener("mousemove", onHover);
  table.addEventListener("mouseleave", () => onHover({ target: table }));
  wrap.appendChild(table);
  box.appendChild(wrap);
  return box;
}

function showResult(item, elapsed, sourceText) {
  const sentences = item.sentences || [];
  sentenceLinks = sentences.map((s) => s.word_links || []);
  pinned = null;
  // with markup, offsets and links refer to the texts without their tags; the tagged translation is shown as text
  const marked = item.plain_source !== undefined;
  const translation = marked ? item.plain_translation : item.translation;
  drawText($("src-text"), marked ? item.plain_source : sourceText, sentences, "source");
  drawText($("translation"), translation, sentences, "target");
  if (!translation) $("translation").textContent = "(empty translation)";
  $("markup").textContent = marked ? item.translation : "";
  $("markup-box").hidden = !marked;
  $("score").textContent = `score ${item.score.toFixed(3)} · confidence ${(100 * item.confidence).toFixed(1)} %`;
  $("elapsed").textContent = `${Math.round(elapsed)} ms`;
  const words = $("words").checked;
  $("sentences").replaceChildren(...sentences.map((s, i) => drawSentence(s, i, words)));
  $("result").hidden = false;
}

function requestBody(text) {
  const pair = selectedPair();
  const body = {
    text,
    alignment: true,
    word_alignment: $("words").checked,
    link_rule: "mutual", // the lower-AER rule on the WPT 2003 dev pairs (README "Alignment quality")
    source: pair.source,
    target: pair.target,
    format: $("format").value,
  };
  const beam = $("beam").value;
  const nBest = Number($("nbest").value);
  if (beam) body.beam_size = Math.max(Number(beam), nBest);
  if (nBest > 1) body.n_best = nBest;
  return body;
}

async function translate(event) {
  if (event) event.preventDefault();
  const text = $("source").value;
  const button = $("translate");
  button.disabled = true;
  showError("");
  const started = performance.now();
  const headers = { "Content-Type": "application/json" };
  if ($("api-key").value) headers["X-API-Key"] = $("api-key").value;
  try {
    const response = await fetch("/v1/translate", { method: "POST", headers, body: JSON.stringify(requestBody(text)) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    showResult(data.translations[0], performance.now() - started, text);
  } catch (err) {
    $("result").hidden = true; // no stale translation under the error
    showError(`Translation failed: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", translate);
  $("pair").addEventListener("change", onPairChange);
  $("source").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) translate(event);
  });
  const links = $("links");
  links.addEventListener("mouseover", onWordHover);
  links.addEventListener("mouseleave", () => markWords(pinned));
  links.addEventListener("click", onWordClick);
  loadLanguages();
});
