// Translator page: sends the sentence to /v1/translate and draws the alignment as a table heatmap.
"use strict";

const $ = (id) => document.getElementById(id);

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function loadModelInfo() {
  try {
    const response = await fetch("/v1/model");
    const info = await response.json();
    const params = info.parameters ? ` · ${(info.parameters / 1e6).toFixed(1)}M parameters` : "";
    $("model-info").textContent = `${info.name || "model"}: ${info.src_lang || "?"} → ${info.tgt_lang || "?"}${params}`;
    $("translation").lang = info.tgt_lang || "";
    $("source").lang = info.src_lang || "";
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

function headerRow(sources) {
  const row = document.createElement("tr");
  row.appendChild(document.createElement("th"));
  sources.forEach((piece, j) => {
    const th = document.createElement("th");
    th.className = "src";
    th.dataset.col = String(j);
    th.textContent = piece;
    row.appendChild(th);
  });
  return row;
}

function drawHeatmap(sources, targets, matrix) {
  const table = $("heatmap");
  table.replaceChildren();
  const head = document.createElement("thead");
  head.appendChild(headerRow(sources));
  const body = document.createElement("tbody");
  targets.forEach((target, i) => {
    const row = document.createElement("tr");
    row.className = "hm-row";
    const label = document.createElement("th");
    label.className = "tgt";
    label.dataset.row = String(i);
    label.textContent = target;
    row.appendChild(label);
    sources.forEach((source, j) => {
      const weight = matrix[i][j];
      const cell = document.createElement("td");
      cell.className = "cell";
      cell.dataset.row = String(i);
      cell.dataset.col = String(j);
      cell.dataset.source = source;
      cell.dataset.target = target;
      cell.dataset.weight = weight.toFixed(3);
      cell.style.background = cellColor(weight);
      cell.title = `${source} → ${target}: ${weight.toFixed(3)}`;
      row.appendChild(cell);
    });
    body.appendChild(row);
  });
  table.append(head, body);
}

function highlight(row, col, on) {
  document.querySelectorAll(`#heatmap th[data-row="${row}"], #heatmap th[data-col="${col}"]`)
    .forEach((th) => th.classList.toggle("active", on));
}

function onHover(event) {
  const cell = event.target.closest("td.cell");
  const tip = $("tooltip");
  document.querySelectorAll("#heatmap th.active").forEach((th) => th.classList.remove("active"));
  if (!cell) {
    tip.hidden = true;
    return;
  }
  const { source, target, weight, row, col } = cell.dataset;
  tip.textContent = `${source} → ${target}: ${weight}`;
  tip.style.left = `${event.clientX + 14}px`;
  tip.style.top = `${event.clientY + 14}px`;
  tip.hidden = false;
  highlight(row, col, true);
}

// Word links: every word is a span; hovering or clicking one lights up the words it is linked to.
let wordLinks = [];
let pinned = null;

function wordSpans(box, words, side) {
  box.replaceChildren();
  words.forEach((word, index) => {
    const span = document.createElement("span");
    span.className = "word";
    span.dataset.side = side;
    span.dataset.index = String(index);
    span.textContent = word;
    span.tabIndex = 0;
    box.appendChild(span);
  });
}

function linkedIndices(side, index) {
  // links are [source word, target word]; a source word may link to several target words
  return side === "src"
    ? wordLinks.filter(([s]) => s === index).map(([, t]) => t)
    : wordLinks.filter(([, t]) => t === index).map(([s]) => s);
}

function markWords(word) {
  document.querySelectorAll("#links .word").forEach((w) => w.classList.remove("active", "linked"));
  if (!word) return;
  word.classList.add("active");
  const other = word.dataset.side === "src" ? "tgt" : "src";
  linkedIndices(word.dataset.side, Number(word.dataset.index)).forEach((i) => {
    const target = document.querySelector(`#links .word[data-side="${other}"][data-index="${i}"]`);
    if (target) target.classList.add("linked");
  });
}

function drawWordLinks(wordAlignment) {
  wordLinks = wordAlignment.links || [];
  pinned = null;
  wordSpans($("src-words"), wordAlignment.source_words, "src");
  wordSpans($("tgt-words"), wordAlignment.target_words, "tgt");
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

function requestBody(text) {
  const body = { text, alignment: true, word_alignment: true };
  const beam = $("beam").value;
  if (beam) body.beam_size = Number(beam);
  return body;
}

function showResult(item, elapsed) {
  $("translation").textContent = item.translation || "(empty translation)";
  $("score").textContent = `score ${item.score.toFixed(3)}`;
  $("elapsed").textContent = `${Math.round(elapsed)} ms`;
  drawWordLinks(item.word_alignment);
  const words = $("words").checked;
  if (words) {
    const w = item.word_alignment;
    drawHeatmap(w.source_words, w.target_words, w.alignment);
  } else {
    drawHeatmap(item.source_tokens.map(pieceLabel), item.target_tokens.map(pieceLabel), item.alignment);
  }
  const params = new URLSearchParams({ text: $("source").value, level: words ? "word" : "piece" });
  const beam = $("beam").value;
  if (beam) params.set("beam_size", beam);
  $("png-link").href = `/v1/heatmap?${params}`;
  $("result").hidden = false;
}

async function translate(event) {
  if (event) event.preventDefault();
  const text = $("source").value;
  const button = $("translate");
  button.disabled = true;
  showError("");
  const started = performance.now();
  try {
    const response = await fetch("/v1/translate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(requestBody(text)),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    showResult(data.translations[0], performance.now() - started);
  } catch (err) {
    $("result").hidden = true; // no stale translation under the error
    showError(`Translation failed: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", translate);
  $("source").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) translate(event);
  });
  const table = $("heatmap");
  table.addEventListener("mousemove", onHover);
  table.addEventListener("mouseleave", () => { $("tooltip").hidden = true; onHover({ target: table }); });
  const links = $("links");
  links.addEventListener("mouseover", onWordHover);
  links.addEventListener("mouseleave", () => markWords(pinned));
  links.addEventListener("click", onWordClick);
  loadModelInfo();
});
