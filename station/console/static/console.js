// Capture Station console: renders the station's pushed state; every action is a POST to /api/action.
// No logic of the station lives here: what may be done is what the snapshot says (needs_override,
// acceptable...), and the server's answer is shown as it comes.
"use strict";
const T = window.TEXTS || {};
const G = window.GEOMETRY || {width: 480, height: 640};
const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
const PAGE = document.body.dataset.page;
const $ = (id) => document.getElementById(id);
// measured in the browser for bench/bench_console.py: key press -> verdict photo drawn
window.__console = {presses: [], drawn: [], sse: [], liveFrames: 0, liveStart: 0, liveLatency: [], state: null};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : String(c));
  return node;
}

// A message once: Chinese first with its English. When both lines end in the same bilingual words (a field
// that was itself translated: "警告：名单显示未缴费 roster says NOT PAID" / "WARNING: 名单显示未缴费 roster says NOT
// PAID") the Chinese line alone says it all. A shared name or number ("No. 4 刘洋") is not such a field.
function msgText(m) {
  if (!m) return "";
  const zh = m.zh || "", en = m.en || "";
  let n = 0;
  while (n < zh.length && n < en.length && zh[zh.length - 1 - n] === en[en.length - 1 - n]) n++;
  const shared = zh.slice(zh.length - n);
  if (zh && n >= 8 && /[\u4e00-\u9fff]/.test(shared) && /[A-Za-z]{4,}/.test(shared)) return zh;
  return m.text || zh || en;
}

async function post(url, body) {
  const r = await fetch(url, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": CSRF}, body: JSON.stringify(body)});
  let data = {};
  try { data = await r.json(); } catch (e) { data = {error: r.statusText}; }
  if (r.status === 401) { location.href = "/pair?next=" + encodeURIComponent(location.pathname); }
  return {status: r.status, ...data};
}

async function act(body) {
  const answer = await post("/api/action", body);
  const o = answer.outcome || {};
  if (!answer.ok || (o.status && o.status !== "done")) {
    const text = msgText(o.message) || answer.error || o.status || T.error;
    const hint = o.hint || answer.hint;
    flash(hint && !text.includes(hint) && !hint.includes(text) ? `${text} — ${hint}` : text, "error");
  }
  return answer;
}

function flash(text, level) {
  const list = $("messages");
  if (!list) { alert(text); return; }
  list.prepend(el("li", {class: level || "info"}, text));
  while (list.children.length > 8) list.lastChild.remove();
}

// ------------------------------------------------------------------ the dialog (reasons, rebind search)
function ask(title, {search = false, initial = ""} = {}) {
  const dialog = $("ask"), input = $("ask-text"), list = $("ask-list");
  $("ask-title").textContent = title;
  input.value = initial; list.replaceChildren(); input.placeholder = search ? T.search_hint : "";
  return new Promise((resolve) => {
    let chosen = null, timer = null;
    const done = (value) => { dialog.close(); cleanup(); resolve(value); };
    const onSubmit = (e) => { e.preventDefault(); done(search ? chosen : input.value.trim()); };
    const onCancel = () => done(null);
    const onInput = () => {
      if (!search) return;
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const r = await fetch("/api/roster?q=" + encodeURIComponent(input.value), {credentials: "same-origin"});
        const found = (await r.json()).students || [];
        list.replaceChildren(...found.map((s) => el("li", {"data-subject": s.subject, onclick: () => {
          chosen = s.subject; done(chosen); }}, `${s.name || "-"} · ${s.student_no || s.code} · ${s.college || ""} ${s["class"] || ""}`)));
        chosen = found.length === 1 ? found[0].subject : null;
      }, 150);
    };
    const cleanup = () => {
      $("ask-form").removeEventListener("submit", onSubmit); $("ask-cancel").removeEventListener("click", onCancel);
      input.removeEventListener("input", onInput); dialog.removeEventListener("cancel", onCancel);
    };
    $("ask-form").addEventListener("submit", onSubmit); $("ask-cancel").addEventListener("click", onCancel);
    input.addEventListener("input", onInput); dialog.addEventListener("cancel", onCancel);
    dialog.showModal(); input.focus();
  });
}

// ------------------------------------------------------------------ header (every page)
function renderHeader(h, s) {
  if (!h) return;
  const set = (id, v) => { const n = $(id); if (n) n.textContent = (v === null || v === undefined || v === "") ? "-" : v; };
  set("h-station", h.station); set("h-room", h.room); set("h-college", h.college);
  set("h-battery", h.battery); set("h-disk", h.disk_free_gb === null ? "-" : h.disk_free_gb + " GB");
  const cam = $("h-camera");
  if (cam) {
    cam.textContent = (h.camera_ok ? T.camera_ok : T.camera_trouble) + " · " + (h.camera_model || h.camera_spec || "");
    cam.className = h.camera_ok ? "ok" : "bad"; cam.title = h.camera_text || "";
  }
  if (s) renderStatus(s);
}

// the ID-card reader, the hub and an unpaid student refused (with the override the terminal's p sends)
function renderStatus(s) {
  const reader = $("h-reader");
  if (reader) {
    $("h-reader-box").hidden = !s.reader;
    if (s.reader) {
      reader.textContent = (T["reader_" + s.reader.state] || s.reader.state) + (s.reader.detail ? ` (${s.reader.detail})` : "");
      reader.className = s.reader.state === "lost" ? "bad" : (s.reader.state === "refused" ? "warn" : "ok");
    }
  }
  const hub = $("h-hub");
  if (hub) {
    $("h-hub-box").hidden = !s.hub;
    if (s.hub) { hub.textContent = msgText(s.hub); hub.className = s.hub.level === "ok" ? "ok" : "bad"; }
  }
  const bar = $("unpaid-bar");
  if (bar) { bar.hidden = !s.unpaid_blocked; $("unpaid-who").textContent = s.unpaid_blocked || ""; }
}

async function unpaidOverride() {
  const reason = await ask(T.unpaid_reason);
  if (!reason) return;
  const a = await act({type: "unpaid_override", reason});
  if (a.ok && a.outcome && a.outcome.status === "done") flash(msgText(a.outcome.message), "error");
}

// ------------------------------------------------------------------ shoot page
let shownTake = null;
function renderShoot(state) {
  const s = state.snapshot, b = s.bound, t = s.last_take;
  $("s-none").hidden = !!b; $("s-who").hidden = !b;
  if (b) {
    $("s-shootno").textContent = b.shoot_no ?? "-";
    $("s-name").replaceChildren(...[b.name || b.code, b.walk_in ? el("span", {class: "walkin-badge"}, T.walkin_badge) : null]
      .filter(Boolean));
    $("s-student-no").textContent = b.student_no || b.code;
    $("s-id").textContent = b.id_number || "-";
    $("s-college").textContent = b.college || "-";
    $("s-class").textContent = b.class_name || "-";
    $("s-paid").replaceChildren(b.paid === false ? el("span", {class: "unpaid"}, T.not_paid)
      : (b.paid ? T.paid_yes : T.paid_unknown));
    $("s-takes").textContent = b.takes + (b.rejected ? ` (${T.rejected} ${b.rejected})` : "");
  }
  renderQueue(s.queue);
  $("unbound").replaceChildren(...(s.unbound || []).map((u) =>
    el("li", {}, `${T.take} ${u.take_id} · ${u.captured_at} · ${u.source}`)));
  // live view is the big picture unless a take waits for a decision (then the take replaces it)
  const onScreen = !!(t && t.decision === null);
  $("live").hidden = onScreen; $("takeview").hidden = !onScreen;
  $("ready").hidden = onScreen; $("exposure").hidden = onScreen; $("histogram").hidden = onScreen;
  renderTake(t);
  const msgs = $("messages");
  const seen = new Set();
  msgs.replaceChildren(...(s.messages || []).slice().reverse().filter((m) => {
    const text = msgText(m); if (!text || seen.has(text)) return false; seen.add(text); return true; })
    .map((m) => el("li", {class: m.level}, msgText(m))));
  const has = (name) => document.querySelector(`[data-act="${name}"]`);
  const pending = t && t.decision === null;
  has("shoot").disabled = s.busy || !b || (s.camera && s.camera.has_trigger === false);
  has("accept").disabled = !(t && pending && t.acceptable && !t.needs_override);
  has("override").disabled = !(t && pending && t.acceptable && t.needs_override);
  has("reject").disabled = !(t && pending && t.subject_code !== null);
  has("void").disabled = !(t && t.decision !== "void");
  has("rebind").disabled = !t || t.decision === "void";
  has("skip").disabled = !b;
  has("next").disabled = !(s.queue && s.queue.length);
}

function renderQueue(queue) {
  const list = $("queue"); if (!list) return;
  $("q-count").textContent = queue && queue.length ? `(${queue.length})` : "";
  list.replaceChildren(...(queue || []).map((q) =>
    el("li", {"data-subject": q.subject_id}, `No.${q.shoot_no ?? "-"} ${q.name || ""} ${q.code}`,
      q.walk_in ? el("span", {class: "walkin-badge"}, T.walkin_badge) : null)));
  if (!queue || !queue.length) list.replaceChildren(el("li", {class: "muted empty"}, T.queue_empty));
}

function renderTake(t) {
  const verdict = $("verdict"), word = $("v-word");
  if (!t) {
    verdict.className = "verdict none"; word.textContent = T.no_take; $("v-take").textContent = "";
    $("reasons").replaceChildren(); $("misses").replaceChildren(); drawGuides(false); return;
  }
  const warned = (t.warnings || []).length > 0;
  verdict.className = "verdict " + (t.status === "pass" ? (warned ? "warnings" : "pass") : (t.status === "fail" ? "fail" : "none"));
  word.textContent = t.status === "pass" ? T.pass : (t.status === "fail" ? T.fail : "…");
  let note = `${T.take} ${t.take_id}` + (t.decision ? ` · ${t.decision}` : "");
  if (!t.croppable) note += " · " + T.not_croppable; else if (t.needs_override && t.decision === null) note += " · " + T.needs_override;
  $("v-take").textContent = note;
  const rows = [...(t.reasons || []).map((r) => ({...r, cls: "refuse"})), ...(t.warnings || []).map((w) => ({...w, cls: "warn"}))];
  $("reasons").replaceChildren(...rows.map((r) =>
    el("li", {class: r.cls, "data-code": r.code}, el("span", {class: "zh"}, r.zh), el("span", {class: "en"}, r.en))));
  const key = `${t.take_id}:${t.decision}`;
  if (shownTake !== key) {
    const fresh = !shownTake || shownTake.split(":")[0] !== String(t.take_id);
    shownTake = key;
    const photo = $("photo"), frame = $("frame");
    if (fresh) {
      const arrived = performance.now();
      $("misses").replaceChildren(); $("photo-caption").textContent = T.finished;
      // the finished photo first; the full frame (decoded from the original on the server) right after it
      frame.hidden = true;
      frame.onload = () => { frame.hidden = false; };
      frame.onerror = () => { frame.hidden = true; };
      const frameNext = () => { frame.src = `/take/${t.take_id}/frame.jpg`; };
      photo.onload = () => {
        photo.hidden = false;
        window.__console.drawn.push({take: t.take_id, arrived, drawn: performance.now()});
        frameNext();
      };
      photo.onerror = () => {
        // no finished photo (refused): the nearest crop, with its bands and how far each measure missed
        window.__console.drawn.push({take: t.take_id, arrived, drawn: performance.now(), missing: true});
        frameNext();
        showNearest(t.take_id);
      };
      photo.hidden = true;
      photo.src = `/take/${t.take_id}/photo.jpg`;
    }
    drawGuides(t.status === "pass");
  }
}

async function showNearest(takeId) {
  const photo = $("photo");
  drawGuides(false);
  photo.onerror = () => { photo.hidden = true; };
  photo.onload = () => { photo.hidden = false; };
  photo.src = `/take/${takeId}/nearest.jpg`;
  $("photo-caption").textContent = T.misses;
  const r = await fetch(`/api/take/${takeId}/misses`, {credentials: "same-origin"});
  const misses = r.status === 200 ? ((await r.json()).misses || []) : [];
  const t = window.__console.state && window.__console.state.snapshot.last_take;
  if (!t || t.take_id !== takeId) return;
  $("misses").replaceChildren(...misses.map((m) => el("li", {"data-measure": m.measure}, m.text)));
}

function drawGuides(on) {
  const svg = $("guides"); if (!svg) return;
  svg.setAttribute("viewBox", `0 0 ${G.width} ${G.height}`);
  if (!on) { svg.replaceChildren(); return; }
  const ns = "http://www.w3.org/2000/svg", parts = [];
  const add = (tag, a) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(a)) n.setAttribute(k, v); parts.push(n); };
  const band = (y0, y1) => add("rect", {x: 0, y: y0, width: G.width, height: y1 - y0, fill: "rgba(255,210,0,.16)", stroke: "rgb(255,210,0)", "stroke-width": 1.5});
  band(G.crown_y[0], G.crown_y[1]); band(G.eye_y[0], G.eye_y[1]);
  for (const side of [-1, 1]) for (const w of G.face_width) {
    const x = G.centre_x + side * w / 2;
    add("line", {x1: x, x2: x, y1: G.eye_y[0], y2: G.eye_y[1], stroke: "rgb(255,210,0)", "stroke-width": 1.5});
  }
  add("line", {x1: G.centre_x, x2: G.centre_x, y1: 0, y2: G.height, stroke: "rgba(255,210,0,.8)", "stroke-width": 1, "stroke-dasharray": "6 4"});
  svg.replaceChildren(...parts);
}

async function doAction(name) {
  const s = window.__console.state && window.__console.state.snapshot;
  const t = s && s.last_take;
  const take = t ? t.take_id : null;
  if (name === "shoot") { window.__console.presses.push(performance.now()); return act({type: "shoot"}); }
  if (name === "accept") return act({type: "accept", take});
  if (name === "next") return act({type: "next"});
  if (name === "unpaid") { if (s && s.unpaid_blocked) return unpaidOverride(); return; }   // the terminal's p
  if (name === "override") {
    const why = await ask(T.override_reason); if (why) return act({type: "accept", take, override: why}); return;
  }
  if (name === "reject") {
    const first = t && t.reasons && t.reasons[0] ? t.reasons[0].zh : "";
    const why = await ask(T.reject_reason, {initial: first}); if (why !== null) return act({type: "reject", take, reason: why}); return;
  }
  if (name === "void") { const why = await ask(T.void_reason); if (why) return act({type: "void", take, reason: why}); return; }
  if (name === "skip") { const why = await ask(T.skip_reason); if (why !== null) return act({type: "skip", reason: why}); return; }
  if (name === "rebind") {
    const subject = await ask(T.search_roster, {search: true}); if (subject) return act({type: "rebind", take, subject}); return;
  }
}

const KEYS = {" ": "shoot", "Enter": "shoot", a: "accept", o: "override", r: "reject", x: "void", u: "rebind", s: "skip", n: "next", p: "unpaid"};
// A barcode scanner types a code and Enter: printable keys are collected, and Enter after four or more of
// them is a scan. A lone command key (a, r, o...) runs once SCAN_GAP_MS pass without another key; any other
// key waits for the rest of its code (a busy page may see a scanner's keys far apart, and a first digit must
// never be lost) until STALE_MS of silence drops it.
const SCAN_GAP_MS = 120, STALE_MS = 2000;
let burst = [], burstTimer = null, staleTimer = null;
function onKey(e) {
  if (e.target.closest && e.target.closest("input, textarea, dialog")) return;
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  if (e.repeat) { e.preventDefault(); return; }            // a held key never fires twice
  if (PAGE === "desk") { deskKey(e); return; }
  if (PAGE !== "shoot") return;
  if (e.key === "Enter" && burst.length >= 4) {
    clearTimeout(burstTimer); clearTimeout(staleTimer);
    const code = burst.map((k) => k.key).join(""); burst = []; e.preventDefault();
    act({type: "scan", code}); return;
  }
  if (e.key.length === 1 && e.key !== " ") {
    burst.push({key: e.key, at: e.timeStamp}); e.preventDefault();
    clearTimeout(burstTimer); clearTimeout(staleTimer);
    burstTimer = setTimeout(() => {
      if (burst.length === 1 && KEYS[burst[0].key]) { const k = burst[0]; burst = []; runKey(k.key, k.at); }
    }, SCAN_GAP_MS);
    staleTimer = setTimeout(() => { burst = []; }, STALE_MS);
    return;
  }
  burst = []; clearTimeout(burstTimer); clearTimeout(staleTimer);
  if (KEYS[e.key]) { e.preventDefault(); runKey(e.key, e.timeStamp); }
}
function runKey(key, at) {
  const name = KEYS[key]; if (!name) return;
  const button = document.querySelector(`[data-act="${name}"]`);
  if (button && button.disabled && name !== "shoot") return;
  if (name === "shoot") { window.__console.presses.push(at); act({type: "shoot"}); return; }
  doAction(name);
}

function deskKey(e) {
  // keys that reach the desk page outside its field go into the field, the first one included
  const field = $("desk-code"); if (!field) return;
  if (e.key.length === 1) { e.preventDefault(); field.value += e.key; field.focus(); }
  else if (e.key === "Enter" && field.value.trim()) { e.preventDefault(); $("desk-form").requestSubmit(); }
}
document.addEventListener("keydown", onKey);      // at once, not after the page settles: a scan may come first

// ------------------------------------------------------------------ live view
async function liveLoop() {
  const img = $("live-img"); if (!img) return;
  let after = 0, url = null;
  window.__console.liveStart = performance.now();
  while (true) {
    if ($("live").hidden) { await new Promise((ok) => setTimeout(ok, 200)); continue; }   // a take is on screen
    try {
      const r = await fetch(`/live/frame?after=${after}`, {credentials: "same-origin", cache: "no-store"});
      const answered = performance.now();
      if (r.status !== 200) {
        // no source at all: one Chinese line where the picture would be, no broken image
        const info = await r.json().catch(() => ({}));
        img.hidden = true; $("live-msg").hidden = false; $("live-msg").title = info.error || "";
        $("ready").className = "light off"; $("ready").textContent = T.not_ready;
        await new Promise((ok) => setTimeout(ok, 3000)); continue;
      }
      after = Number(r.headers.get("X-Frame")) || after + 1;
      const ready = r.headers.get("X-Ready") === "1";
      const hist = (r.headers.get("X-Histogram") || "").split(",").filter(Boolean).map(Number);
      let settings = {};
      try { settings = JSON.parse(r.headers.get("X-Settings") || "{}"); } catch (e) { settings = {}; }
      const blob = await r.blob();
      const next = URL.createObjectURL(blob);
      const good = await new Promise((ok) => { img.onload = () => ok(true); img.onerror = () => ok(false); img.src = next; });
      if (url) URL.revokeObjectURL(url); url = next;
      if (!good) continue;
      window.__console.liveFrames += 1;
      // frame made on the station -> drawn here: its age when sent, plus the answer's own time to screen
      // (the time the request waited for the frame to be made is not part of it)
      const age = Number(r.headers.get("X-Age-Ms")) || 0;
      window.__console.liveLatency.push(age + (performance.now() - answered));
      if (window.__console.liveLatency.length > 500) window.__console.liveLatency.shift();
      img.hidden = false; $("live-msg").hidden = true;
      const why = r.headers.get("X-Why") || "";
      $("ready").className = "light " + (ready ? "on" : "off");
      $("ready").replaceChildren(ready ? T.ready : T.not_ready,
        ...(!ready && T["why_" + why] ? [el("small", {class: "why"}, T["why_" + why])] : []));
      drawHistogram(hist); renderExposure(settings);
    } catch (e) {
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

function drawHistogram(bins) {
  const c = $("histogram"); if (!c || !bins.length) return;
  // square-root heights: a plain backdrop fills one bin, and the face's tones must still show
  const g = c.getContext("2d"), w = c.width, h = c.height, peak = Math.sqrt(Math.max(...bins, 1)), bw = w / bins.length;
  g.fillStyle = "#111827"; g.fillRect(0, 0, w, h);
  g.fillStyle = "#e5e7eb";
  bins.forEach((v, i) => { const bh = Math.round(h * Math.sqrt(v) / peak); g.fillRect(i * bw, h - bh, Math.ceil(bw) - 1, bh); });
}

let exposureShown = "";
function renderExposure(settings) {
  const h = (window.__console.state || {}).header || {};
  const rows = ["iso", "shutter", "aperture", "whitebalance", "exposurecompensation"]
    .filter((k) => settings[k] !== undefined).map((k) => [T[k] || k, settings[k]]);
  const battery = settings.battery || h.battery;
  if (battery) rows.push([T.battery, battery]);
  const key = JSON.stringify(rows); if (key === exposureShown) return; exposureShown = key;
  $("exposure").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// ------------------------------------------------------------------ desk page
async function deskCheckIn(code) {
  const answer = await post("/api/action", {type: "checkin", code});
  const o = answer.outcome || {};
  if (!answer.ok || o.status !== "done") {
    const box = $("desk-result");
    box.className = "result bad";
    box.replaceChildren(el("b", {}, T.unknown_code + " · " + code), el("div", {}, msgText(o.message) || answer.error || ""));
    if ($("walkin-code") && !$("walkin-code").value) $("walkin-code").value = code;   // maybe a walk-in
    return;
  }
  await deskShow($("desk-result"), o);
}

// 现场补录: the desk (or the shoot page) types the code, name, college and class of a student the roster misses
async function walkIn(form) {
  const box = $("walkin-result"), value = (id) => $(id).value.trim();
  const body = {type: "walk_in", code: value("walkin-code"), name: value("walkin-name"),
    college: value("walkin-college"), "class": value("walkin-class"), desk: !!form.dataset.desk};
  const answer = await post("/api/action", body);
  const o = answer.outcome || {};
  box.hidden = false;
  if (!answer.ok || o.status !== "done") {
    box.className = "result bad";
    box.replaceChildren(el("b", {}, T.walkin_title), el("div", {id: "walkin-refused"}, msgText(o.message) || answer.error || T.error));
    return;
  }
  form.reset(); box.hidden = true;
  await deskShow($("desk-result") || box, o);
  if (!$("desk-result")) box.hidden = false;
}

async function deskShow(box, o) {
  const r = await fetch(`/api/subject/${o.subject_id}`, {credentials: "same-origin"});
  const who = (await r.json()).student || {};
  const queue = (window.__console.state && window.__console.state.snapshot.queue) || [];
  box.className = "result ok";
  box.replaceChildren(...[   // replaceChildren(null) would print "null": leave the absent lines out
    el("div", {}, T.checked_in),
    el("div", {class: "shootno", id: "desk-shootno"}, who.shoot_no ?? "-"),
    el("div", {class: "big"}, `${who.name || ""} ${who.student_no || who.code || ""}`),
    el("div", {}, [who.college, who["class"]].filter(Boolean).join(" ")),
    (o.warnings || []).some((w) => w.includes(T.walkin_badge))
      ? el("div", {class: "walkin-badge", id: "desk-walkin"}, (o.warnings || []).find((w) => w.includes(T.walkin_badge))) : null,
    el("div", {id: "desk-place"}, who.place ? `${T.place_in_queue}: ${who.place}` : ""),
    who.paid === false ? el("div", {class: "unpaid big", id: "desk-unpaid"}, T.not_paid) : null,
    msgText(o.message) && !(who.paid === false && msgText(o.message).includes(T.not_paid))
      ? el("div", {class: "muted"}, msgText(o.message)) : null].filter(Boolean));
}

// ------------------------------------------------------------------ pairing (desk page; the PIN chip on every station page)
async function loadPairing() {
  const r = await fetch("/api/pairing", {credentials: "same-origin", cache: "no-store"});
  if (r.status !== 200) return;
  renderPairing(await r.json());
}

function renderPairing(p) {
  window.__console.pairing = p;
  const chip = $("h-pin");
  if (chip && p.pin) {
    chip.hidden = false; chip.className = "pin-chip" + (p.locked ? " locked" : "");
    chip.textContent = p.locked ? T.pairing_locked.split(/[：:]/)[0] : `${T.pin} ${p.pin}`;
  }
  if (!$("devices")) return;
  if ($("pair-pin")) {
    $("pair-pin").textContent = p.pin || "";
    $("pair-url").textContent = (p.pair_urls || [])[0] || "";
    $("pair-locked").hidden = !p.locked; $("pair-reopen").hidden = !p.locked;
  }
  const since = (t) => new Date(t * 1000).toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit"});
  $("devices").replaceChildren(...(p.devices || []).map((d) => el("li", {"data-device": d.device},
    el("b", {}, d.station ? T.station_browser : (d.agent || d.client)), " ",
    el("span", {class: "muted"}, `${d.client} · ${since(d.since)}`), " ",
    d.device === p.you ? el("span", {class: "muted"}, `(${T.this_device})`) : null,
    p.station && d.device !== p.you ? el("button", {class: "bad small", "data-revoke": d.device, onclick: async () => {
      const a = await post("/api/pairing", {op: "revoke", device: d.device}); if (a.ok) renderPairing(a); }}, T.revoke) : null)));
}

async function pairingOp(op) {
  const a = await post("/api/pairing", {op});
  if (a.ok) { renderPairing(a); if (op === "renew" && $("pair-qr")) $("pair-qr").src = "/pairing/qr.svg?" + Date.now(); }
  else flash(a.error || T.error, "error");
}

// ------------------------------------------------------------------ review page
async function loadReview() {
  const data = await (await fetch("/api/review", {credentials: "same-origin"})).json();
  $("r-counts").textContent = Object.entries(data.counts || {}).map(([k, v]) => `${T[k] || k} ${v}`).join(" · ");
  const groups = $("r-groups");
  if (!data.groups.length) { groups.replaceChildren(el("p", {class: "muted"}, T.nobody_to_reshoot)); }
  else groups.replaceChildren(...data.groups.map((g) => el("div", {class: "group"},
    el("h3", {}, `${g.college} ${g["class"]}`),
    el("div", {class: "students"}, ...g.students.map((s) => el("div", {class: "student", "data-subject": s.subject},
      s.take ? el("img", {src: `/take/${s.take}/thumb.jpg`, alt: "", onerror: (e) => { e.target.hidden = true; }})
        : el("div", {class: "nothumb"}),
      el("div", {}, el("b", {}, s.name || s.code), " ", s.student_no || ""),
      el("div", {class: "status " + s.status}, T[s.status] || s.status, s.reason ? ` · ${s.reason}` : ""),
      el("div", {class: "muted"}, `No.${s.shoot_no ?? "-"} · ${T.takes} ${s.takes}`),
      el("div", {class: "row"},
        s.status === "undecided" && s.take ? el("button", {class: "good", "data-accept": s.take, onclick: async () => {
          // a take that did not pass needs the operator's reason, as on the shoot page
          let a = await post("/api/action", {type: "accept", take: s.take});
          if (!(a.ok && a.outcome && a.outcome.status === "done")) {
            const why = await ask(T.override_reason);
            if (!why) return;
            a = await act({type: "accept", take: s.take, override: why});
          }
          if (a.ok && a.outcome.status === "done") { flash(msgText(a.outcome.message), "ok"); loadReview(); } }}, T.accept) : null,
        el("button", {class: "primary", "data-reshoot": s.subject, onclick: async () => {
          const a = await act({type: "scan", subject: s.subject}); if (a.ok && a.outcome.status === "done") location.href = "/shoot"; }},
          T.reshoot))))))));
  $("r-unbound").replaceChildren(...(data.unbound || []).map((u) => el("li", {}, `${T.take} ${u.take} · ${u.captured_at}`)));
}

// ------------------------------------------------------------------ day page
async function loadDay() {
  const data = await (await fetch("/api/day", {credentials: "same-origin"})).json();
  $("d-schedule").textContent = data.has_schedule ? "" : T.no_schedule;
  $("d-table").tBodies[0].replaceChildren(...data.colleges.map((c) => {
    const share = c.roster ? Math.round(100 * c.accepted / c.roster) : 0;
    return el("tr", {"data-college": c.college}, el("td", {}, c.college), el("td", {}, c.roster), el("td", {}, c.checked_in),
      el("td", {}, c.shot), el("td", {}, c.accepted), el("td", {}, c.rejected),
      el("td", {}, el("div", {class: "bar"}, el("div", {style: `width:${share}%`})), `${share}%`),
      el("td", {}, c.per_hour ?? "-"), el("td", {}, c.window || "-"),
      el("td", {}, c.minutes_left === null ? "-" : `${c.minutes_left} min`));
  }));
}

function renderExport(e) {
  if (!e || !$("export-bar")) return;
  const share = !e.running ? (e.ok ? 100 : 0) : (e.total ? Math.round(100 * e.done / e.total) : 0);
  $("export-bar").style.width = share + "%";
  $("export-msg").textContent = e.running ? `${T.exporting} ${e.stage} ${e.done}/${e.total}` :
    (e.message ? `${e.message}${e.exported !== undefined ? " · " + e.exported : ""} · ${e.folder || ""}` : "");
  $("export-msg").className = e.ok === false ? "bad-text" : "";
}

// ------------------------------------------------------------------ server push
function render(state) {
  window.__console.state = state;
  renderHeader(state.header, state.snapshot);
  if (PAGE === "shoot") renderShoot(state);
  if (PAGE === "desk") renderQueue(state.snapshot.queue);
  if (PAGE === "day") renderExport(state.export);
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (e) => {
    const arrived = performance.now();
    const state = JSON.parse(e.data);
    window.__console.sse.push({version: state.snapshot.version, arrived});
    $("h-link").textContent = ""; $("h-link").className = "link";
    render(state);
  });
  source.onerror = () => { $("h-link").textContent = T.connection_lost; $("h-link").className = "link lost";
    if (PAGE === "review") setTimeout(loadReview, 1000); };
}

document.addEventListener("DOMContentLoaded", () => {
  connect();
  if (PAGE === "shoot") {
    document.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => doAction(b.dataset.act)));
    $("scan-form").addEventListener("submit", (e) => { e.preventDefault(); const v = $("scan-text").value.trim();
      if (v) { act({type: "scan", code: v}); $("scan-text").value = ""; $("scan-text").blur(); } });
    liveLoop();
  }
  if (document.body.dataset.station || PAGE === "desk") { loadPairing(); setInterval(loadPairing, 5000); }
  if ($("pair-renew")) {
    $("pair-renew").addEventListener("click", () => pairingOp("renew"));
    $("pair-reopen").addEventListener("click", () => pairingOp("reopen"));
  }
  if (PAGE === "desk") {
    $("desk-form").addEventListener("submit", (e) => { e.preventDefault(); const v = $("desk-code").value.trim();
      if (v) { deskCheckIn(v); $("desk-code").value = ""; } });
  }
  if ($("walkin-form")) $("walkin-form").addEventListener("submit", (e) => { e.preventDefault(); walkIn(e.target); });
  if ($("unpaid-override")) $("unpaid-override").addEventListener("click", unpaidOverride);
  if (PAGE === "review") loadReview();
  if (PAGE === "day") {
    loadDay(); setInterval(loadDay, 30000);
    $("export-form").addEventListener("submit", async (e) => { e.preventDefault();
      const a = await post("/api/export", {outdir: $("export-name").value.trim()});
      if (!a.ok) { $("export-msg").textContent = a.error; $("export-msg").className = "bad-text"; } });
  }
});
