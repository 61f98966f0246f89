// The pixelproof page: sends an image to /v1/analyze and shows the report it gets back.
// Plain DOM code, no framework: every report field shown here comes from the API as is.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "pixelproof.apiKey";
const HISTORY_SIZE = 20;
const PAGE_TITLE = document.title;

const LABELS = { ai: "AI-generated", human: "Not AI-generated", uncertain: "Uncertain" };
// Plain names for the analyzers, in the order their evidence is shown: what the file says about
// itself first, then what the pixels say. An analyzer added by a plugin keeps its own name, last.
const ANALYZERS = {
  c2pa: "Content Credentials (C2PA)",
  watermark: "Invisible watermark",
  generator_text: "Generator text",
  metadata: "Camera and file metadata",
  pixels: "Pixels (AI image model)",
  deepfake: "Faces (deepfake check)",
  reverse_search: "Seen before",
  quality: "Image quality",
  nsfw: "Nudity",
};
// A reason that tells someone to run a command (a missing model, an empty index) is addressed to
// whoever runs the server, not to the person asking about an image.
const forOperator = (reason) => /`|\brun\b/.test(reason);
const FAMILIES = {
  openai: "OpenAI (DALL·E, GPT image)", google: "Google (Imagen, Gemini)", midjourney: "Midjourney",
  stable_diffusion: "Stable Diffusion", flux: "FLUX", gan: "GAN", other: "Another generator", unknown: "Unknown",
};
const C2PA_STATES = {
  trusted: "Valid signature from a trusted signer.",
  valid: "Valid signature (the signer's trust was not checked).",
  "valid-untrusted": "Valid signature, but the signer is on no configured trust list: anyone could have made it.",
  invalid: "The manifest fails validation: it was altered or damaged after signing.",
  unreadable: "A manifest store is present but could not be read.",
  "remote-unresolved": "The file points to a remote manifest, which is never fetched: nothing about it is verified.",
};
const STRENGTH_ORDER = { decisive: 0, strong: 1, weak: 2 };

const images = new Map(); // report id → image URL, for the images analyzed in this tab
let currentId = null;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// --- small DOM helpers ---

const present = (child) => child !== null && child !== undefined && child !== "";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter(present));
  return node;
}

// replaceChildren, leaving out the parts that are not there
function fill(node, ...children) {
  node.replaceChildren(...children.filter(present));
}

function fact(term, value) {
  return present(value) ? el("div", {}, el("dt", {}, term), el("dd", {}, value)) : null;
}

const fixed = (p) => p.toFixed(2);
const analyzerName = (name) => ANALYZERS[name] || name;
const familyName = (family) => FAMILIES[family] || family;

// Binary units, named as such: 1 KiB is 1024 bytes.
function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const duration = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function ago(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

// --- the API, with the key asked for when the server wants one ---

const keyStore = {
  get: () => localStorage.getItem(KEY_STORAGE),
  set: (key) => localStorage.setItem(KEY_STORAGE, key),
};

let keyPrompt = null; // one dialog at a time, shared by every request that got a 401

function askForKey(reason, refused = false) {
  if (!keyPrompt) {
    keyPrompt = new Promise((resolve) => {
      const dialog = $("key-dialog");
      $("key-reason").textContent = reason;
      $("key-reason").classList.toggle("refused", refused);
      $("key-input").value = "";
      dialog.returnValue = "";
      const onClose = () => {
        dialog.removeEventListener("close", onClose);
        const key = dialog.returnValue === "save" ? $("key-input").value.trim() : "";
        if (key) keyStore.set(key);
        showKeyState();
        keyPrompt = null;
        resolve(key || null);
      };
      dialog.addEventListener("close", onClose);
      dialog.showModal();
    });
  }
  return keyPrompt;
}

// A 401 asks for a key only when ``ask``: a request the page makes on its own (the history on
// load) must not greet a visitor with a dialog before they have done anything.
async function api(path, options = {}, { ask = true } = {}) {
  for (;;) {
    const key = keyStore.get();
    const headers = { ...(options.headers || {}), ...(key ? { Authorization: `Bearer ${key}` } : {}) };
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached. Is `pixelproof serve` still running?");
    }
    const body = await response.json().catch(() => null);
    if (response.ok) return body;
    const error = body && body.error ? body.error : { code: "http_error", message: `The server answered ${response.status}.` };
    if (response.status !== 401) throw new ApiError(response.status, error.code, error.message);
    if (!ask) throw new ApiError(401, error.code, "This server needs an API key: analyze an image, or use “API key” above.");
    const reason = key ? `The saved key was refused: ${error.message}.` : "This server needs an API key.";
    if (!(await askForKey(reason, Boolean(key)))) throw new ApiError(401, error.code, "An API key is needed to use this server.");
  }
}

function showKeyState() {
  $("key-button").textContent = keyStore.get() ? "API key: saved" : "API key";
}

// --- analyzing ---

function setBusy(message) {
  const busy = Boolean(message);
  $("status").textContent = message || "";
  $("status").classList.toggle("busy", busy);
  for (const control of document.querySelectorAll(".intake input, .intake button")) control.disabled = busy;
  $("dropzone").classList.toggle("disabled", busy);
}

function showError(error, what) {
  const box = $("error");
  fill(
    box,
    el("strong", {}, what),
    el("p", {}, error.message),
    error.code ? el("p", { class: "error-code" }, `Error code: ${error.code}${error.status ? ` (HTTP ${error.status})` : ""}`) : null,
  );
  box.hidden = false;
}

// The report on screen belongs to the last image asked about: a new request takes the old one away.
function clearReport() {
  $("error").hidden = true;
  $("result").hidden = true;
  currentId = null;
  history.replaceState(null, "", location.pathname);
  document.title = PAGE_TITLE;
  markCurrent();
}

async function analyze(body, imageSrc, description) {
  clearReport();
  setBusy(`Analyzing ${description}…`);
  try {
    const report = await api("/v1/analyze", { method: "POST", ...body });
    images.set(report.id, imageSrc);
    showReport(report);
    $("result").focus(); // screen readers and phones land on the answer
    loadHistory();
  } catch (error) {
    showError(error, `Could not analyze ${description}.`);
  } finally {
    setBusy(null);
  }
}

function analyzeFile(file) {
  if (!file) return;
  const form = new FormData();
  form.append("image", file, file.name || "pasted-image");
  form.append("heatmap", String($("want-heatmap").checked));
  analyze({ body: form }, URL.createObjectURL(file), file.name ? `“${file.name}”` : "the pasted image");
}

function analyzeUrl(url) {
  const body = { body: JSON.stringify({ url, heatmap: $("want-heatmap").checked }), headers: { "Content-Type": "application/json" } };
  analyze(body, url, "the image at this address");
}

// --- the report ---

function showReport(report) {
  currentId = report.id;
  history.replaceState(null, "", `#${report.id}`);
  showVerdict(report);
  showImage(report);
  showEvidence(report);
  showC2pa(report.analyzers.c2pa);
  showMedia(report);
  linkJson(report.id);
  markCurrent();
  document.title = `${LABELS[report.verdict.label]} · pixelproof`;
  $("result").hidden = false;
}

function showVerdict(report) {
  const v = report.verdict;
  $("verdict").dataset.label = v.label;
  $("verdict-title").textContent = LABELS[v.label];
  const p = v.ai_generated;
  $("verdict-score").textContent = p === null ? "No score: not enough evidence" : `AI probability ${fixed(p)}`;
  $("scale").hidden = p === null;
  if (p !== null) $("scale-marker").style.left = `${p * 100}%`;
  const band = v.uncertain_band;
  $("scale-band").hidden = !band;
  if (band) Object.assign($("scale-band").style, { left: `${band[0] * 100}%`, width: `${(band[1] - band[0]) * 100}%` });
  $("verdict-band").textContent = band
    ? `Uncertainty band: between ${fixed(band[0])} and ${fixed(band[1])} the model does not decide.`
    : p !== null ? "Set by decisive evidence, not estimated by a model." : "No analyzer found decisive evidence or gave a score.";
  const g = v.generator;
  const probabilities = Object.entries(g.probabilities || {}).sort((a, b) => b[1] - a[1]).slice(0, 3);
  fill(
    $("generator"),
    familyName(g.family) + (g.detail ? `: ${g.detail}` : ""),
    probabilities.length ? el("span", { class: "muted small block" }, probabilities.map(([f, q]) => `${familyName(f)} ${fixed(q)}`).join(" · ")) : null,
  );
  $("decided-by").textContent = v.decided_by ? analyzerName(v.decided_by) : "Nothing decisive";
  // The explanation names the deciding analyzer as the API does; the page says its plain name.
  const why = v.explanation[0] || "";
  $("verdict-why").textContent = v.decided_by ? why.replace(`Decided by ${v.decided_by}`, `Decided by ${analyzerName(v.decided_by)}`) : why;
}

function showImage(report) {
  const src = images.get(report.id);
  const pixels = report.analyzers.pixels;
  const scored = Boolean(pixels) && pixels.status === "processed";
  const heatmap = scored ? pixels.evidence.heatmap : null;
  $("heatmap-off").hidden = !scored || Boolean(heatmap);
  const img = $("preview");
  img.hidden = !src;
  $("no-image").hidden = Boolean(src);
  if (src) img.src = src;
  else img.removeAttribute("src");
  // Without the image, an empty frame of its shape still shows where the heatmap's regions lie.
  const [width, height] = heatmap ? heatmapExtent(heatmap) : [report.media.width, report.media.height];
  $("stage").style.aspectRatio = src ? "" : `${width} / ${height}`;
  $("stage").classList.toggle("empty", !src);
  showHeatmap(heatmap);
}

function heatmapExtent(heatmap) {
  return [0, 1].map((axis) => Math.max(...heatmap.cells.map((c) => c.box[axis] + c.box[axis + 2])));
}

// The crops overlap; each is drawn as its cell of the rows × cols grid, the part of the image nearest its centre.
function showHeatmap(heatmap) {
  const layer = $("heatmap");
  $("heatmap-controls").hidden = !heatmap;
  layer.hidden = !heatmap || !$("heatmap-toggle").checked;
  if (!heatmap) return layer.replaceChildren();
  layer.style.gridTemplate = `repeat(${heatmap.rows}, 1fr) / repeat(${heatmap.cols}, 1fr)`;
  const cells = [...heatmap.cells].sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  layer.replaceChildren(
    ...cells.map(({ box, score }) => {
      const cell = el("div", { class: "heat-cell", title: `Region ${box[2]}×${box[3]} at (${box[0]}, ${box[1]}): score ${fixed(score)}` });
      cell.style.setProperty("--score", score);
      return cell;
    }),
  );
  const scores = cells.map((c) => c.score);
  $("heatmap-summary").textContent =
    `${heatmap.rows} × ${heatmap.cols} regions scored ${fixed(Math.min(...scores))} to ${fixed(Math.max(...scores))} (region scores are not calibrated).`;
}

function signalItem(signal) {
  const direction = signal.points_to === "ai" ? "Points to AI" : signal.points_to === "human" ? "Points to a real image" : "Information";
  return el(
    "li",
    { class: `signal ${signal.points_to || "info"}` },
    el("span", { class: "pill" }, signal.points_to ? `${direction} · ${signal.strength}` : direction),
    el("p", {}, signal.summary),
  );
}

const finding = (text, flagged = false) => el("li", { class: `finding${flagged ? " flagged" : ""}` }, text);

function matchItem(m) {
  const name = m.source ? m.source.split(/[\\/]/).pop() : "an earlier upload";
  const how = m.kind === "copy" ? "Copy of" : `Looks like (similarity ${fixed(m.similarity)})`;
  return el("li", {}, `${how} ${name}, ${m.width} × ${m.height}, first seen ${new Date(m.first_seen).toLocaleDateString()}`);
}

// What an analyzer that gives no signal (or not all it found) has to tell a person.
const FINDINGS = {
  nsfw: (e) => [
    e.is_detected
      ? finding(`Likely nudity or sexual content (score ${fixed(e.score)}, flagged from ${fixed(e.threshold)}). This says nothing about AI.`, true)
      : finding(`No nudity found (score ${fixed(e.score)}).`),
  ],
  deepfake: (e) => {
    if (e.is_detected) return []; // its signal says it
    if (!e.faces_found) return [finding("No faces found.")];
    if (!e.faces_judged) return [finding(`${plural(e.faces_found, "face")} found, too small to judge.`)];
    return [finding(`${plural(e.faces_found, "face")} found; none of the ${e.faces_judged} judged looks synthetic.`)];
  },
  reverse_search: (e) => [el("li", { class: "finding" }, el("ol", { class: "matches", "aria-label": "Matches" }, ...e.matches.map(matchItem)))],
};

function statusItem(section) {
  if (forOperator(section.reason || "")) return finding("Not available on this server.");
  const text = section.status === "rejected" ? `Did not apply: ${section.reason}` : `Could not run: ${section.reason}`;
  return el("li", { class: `quiet ${section.status}` }, text);
}

// The near-duplicate search only speaks when it found something: an empty index or a missing
// one is the server operator's business, and "no match" in a small index means little.
const hasMatches = (section) => section.status === "processed" && section.evidence.matches.length > 0;

function analyzerSection(name, section) {
  if (name === "reverse_search" && !hasMatches(section)) return null;
  const signals = [...section.signals].sort((a, b) => STRENGTH_ORDER[a.strength] - STRENGTH_ORDER[b.strength]);
  const items = signals.map(signalItem);
  if (section.status !== "processed") items.push(statusItem(section));
  else if (FINDINGS[name]) items.push(...FINDINGS[name](section.evidence));
  if (!items.length) items.push(el("li", { class: "quiet" }, "Nothing to report."));
  return el("section", { class: "group", "data-analyzer": name }, el("h3", {}, analyzerName(name)), el("ul", { class: "signals" }, ...items));
}

function showEvidence(report) {
  const known = Object.keys(ANALYZERS);
  const rank = (name) => (known.includes(name) ? known.indexOf(name) : known.length);
  const names = Object.keys(report.analyzers).sort((a, b) => rank(a) - rank(b));
  fill($("evidence"), ...names.map((name) => analyzerSection(name, report.analyzers[name])));
}

// Active manifest first, then the manifests of its ingredients, in the order they were made from.
function chainOrder(manifests) {
  const byLabel = new Map(manifests.map((m) => [m.label, m]));
  const ordered = [];
  const queue = manifests.filter((m) => m.active);
  while (queue.length) {
    const m = queue.shift();
    if (ordered.includes(m)) continue;
    ordered.push(m);
    for (const ing of m.ingredients) if (byLabel.has(ing.manifest)) queue.push(byLabel.get(ing.manifest));
  }
  return ordered.concat(manifests.filter((m) => !ordered.includes(m)));
}

function actionText(a) {
  const parts = [a.action.replace(/^c2pa\./, "")];
  if (a.software_agent) parts.push(`with ${a.software_agent}`);
  if (a.digital_source_type) parts.push(`(${a.digital_source_type})`);
  return parts.join(" ");
}

function manifestItem(m) {
  const s = m.signer || {};
  const signer = [s.organization, s.common_name].filter(Boolean).join(" · ");
  return el(
    "li",
    { class: "manifest" },
    el("p", { class: "manifest-title" }, m.claim_generator || m.title || "Manifest", m.active ? el("span", { class: "badge" }, "active") : null),
    el(
      "dl",
      { class: "facts grid-facts" },
      fact("Signed by", signer),
      fact("Certificate issuer", s.certificate && s.certificate.issuer),
      fact("Signed at", s.signed_at),
      fact("Algorithm", s.algorithm),
      fact("Title", m.title),
      fact("AI assertions", m.ai_assertions.join(", ")),
      fact("Ingredients", m.ingredients.map((i) => `${i.title || "untitled"}${i.relationship ? ` (${i.relationship})` : ""}`).join(", ")),
    ),
    m.actions.length ? el("ol", { class: "actions", "aria-label": "Actions" }, ...m.actions.map((a) => el("li", {}, actionText(a)))) : null,
    el("p", { class: "muted small mono" }, m.label),
  );
}

// Who vouches for the signer: the trust anchor its chain ends at, or why no anchor was checked.
function trustText(evidence) {
  const a = evidence.anchor;
  if (a) return el("span", { class: "block small trust-anchor" }, `Trusted through ${[a.common_name, a.organization].filter(Boolean).join(", ")} (${a.trust_list}).`);
  const t = evidence.trust;
  return t && t.source === "none" ? el("span", { class: "block small trust-anchor" }, `No trust anchors: ${t.detail}.`) : null;
}

function showC2pa(section) {
  const evidence = section && section.status === "processed" ? section.evidence : null;
  $("c2pa").hidden = !evidence || evidence.state === "none";
  if ($("c2pa").hidden) return;
  const claim = evidence.ai_claim ? ` It declares the image ${evidence.ai_claim === "partly" ? "partly AI-generated" : "AI-generated"} (${evidence.ai_reason}).` : "";
  const problem = evidence.error ? ` ${evidence.error}.` : evidence.remote_url ? ` ${evidence.remote_url}` : "";
  fill(
    $("c2pa-state"),
    el("span", { class: `state ${evidence.state}` }, evidence.state),
    ` ${C2PA_STATES[evidence.state] || ""}${problem}${claim}`,
    evidence.failures.length ? el("span", { class: "block small" }, `Failures: ${evidence.failures.map((f) => f.code).join(", ")}`) : null,
    trustText(evidence),
  );
  $("c2pa-chain").replaceChildren(...chainOrder(evidence.manifests).map(manifestItem));
}

function showMedia(report) {
  const m = report.media;
  $("media").replaceChildren(
    ...[
      fact("File name", report.filename),
      fact("Format", `${m.format.toUpperCase()} (${m.mime_type})`),
      fact("Dimensions", `${m.width} × ${m.height}`),
      fact("Size", bytes(m.size_bytes)),
      fact("SHA-256", el("span", { class: "mono break" }, m.sha256)),
      fact("Analyzed", new Date(report.created_at).toLocaleString()),
      fact("Analysis time", duration(report.timings.total_ms)),
      fact("Your id", report.external_id),
      fact("Report id", el("span", { class: "mono break" }, report.id)),
    ].filter(Boolean),
  );
}

let jsonUrl = null;

async function linkJson(id) {
  const path = `/v1/reports/${encodeURIComponent(id)}`;
  $("api-path").textContent = `GET ${path}`;
  for (const link of [$("json-link"), $("json-download")]) link.removeAttribute("href");
  if (jsonUrl) URL.revokeObjectURL(jsonUrl);
  jsonUrl = null;
  try {
    const stored = await api(path);
    if (id !== currentId) return;
    jsonUrl = URL.createObjectURL(new Blob([JSON.stringify(stored, null, 2)], { type: "application/json" }));
    $("json-link").href = jsonUrl;
    $("json-download").href = jsonUrl;
    $("json-download").download = `pixelproof-report-${id}.json`;
  } catch (error) {
    $("api-path").textContent = `GET ${path}: ${error.message}`;
  }
}

// --- history ---

function historyItem(report) {
  const v = report.verdict;
  const score = v.ai_generated === null ? "no score" : fixed(v.ai_generated);
  const m = report.media;
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "history-item", "data-id": report.id, "data-label": v.label },
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "history-main" }, `${LABELS[v.label]} · ${score}`),
      report.filename ? el("span", { class: "history-name" }, report.filename) : null,
      el("span", { class: "history-meta" }, [
        `${m.format.toUpperCase()} ${m.width}×${m.height}`, bytes(m.size_bytes), ago(report.created_at), report.external_id,
      ].filter(Boolean).join(" · ")),
    ),
  );
}

async function loadHistory({ ask = true } = {}) {
  try {
    const { reports } = await api(`/v1/reports?limit=${HISTORY_SIZE}`, {}, { ask });
    $("history").replaceChildren(...reports.map(historyItem));
    $("history-empty").textContent = "No reports yet.";
    $("history-empty").hidden = reports.length > 0;
    markCurrent();
  } catch (error) {
    $("history-empty").textContent = `The history could not be loaded: ${error.message}`;
    $("history-empty").hidden = false;
  }
}

function markCurrent() {
  for (const button of document.querySelectorAll(".history-item")) {
    if (button.dataset.id === currentId) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

async function openReport(id) {
  clearReport();
  try {
    showReport(await api(`/v1/reports/${encodeURIComponent(id)}`));
    $("result").focus();
  } catch (error) {
    showError(error, "Could not open this report.");
  }
}

// --- wiring ---

function wire() {
  const zone = $("dropzone");
  const file = $("file");
  file.addEventListener("change", () => {
    analyzeFile(file.files[0]);
    file.value = "";
  });
  zone.addEventListener("click", (event) => {
    if (event.target === zone || event.target.closest(".drop-text, .drop-icon, .hint")) file.click();
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) zone.addEventListener(type, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    analyzeFile(event.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (event) => {
    const pasted = [...event.clipboardData.files].find((f) => f.type.startsWith("image/"));
    if (pasted) {
      event.preventDefault();
      analyzeFile(pasted);
    }
  });
  $("url-form").addEventListener("submit", (event) => {
    event.preventDefault();
    analyzeUrl($("url").value.trim());
  });
  $("history").addEventListener("click", (event) => {
    const item = event.target.closest(".history-item");
    if (item) openReport(item.dataset.id);
  });
  $("history-refresh").addEventListener("click", () => loadHistory());
  $("heatmap-toggle").addEventListener("change", () => ($("heatmap").hidden = !$("heatmap-toggle").checked));
  $("key-cancel").addEventListener("click", () => $("key-dialog").close("cancel"));
  $("key-button").addEventListener("click", () => askForKey("Paste the API key this page should use.").then(() => loadHistory()));
}

wire();
showKeyState();
loadHistory({ ask: false });
if (location.hash.length > 1) openReport(decodeURIComponent(location.hash.slice(1)));
