/**
 * The dashboard: one self-contained page (no build step, no external asset),
 * fed by the server-sent events of GET /api/events (see live-feed.ts: a whole
 * view, then deltas). It renders at most once per frame and only when something
 * arrived, writes only the cells whose text changed, repaints only the shard-map
 * cells whose owner changed, and does nothing while hidden (after 10 s hidden it
 * closes the feed, so the node does nothing for it either).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mesh</title>
<style>
:root { --bg:#0f1419; --panel:#171e26; --line:#263140; --text:#d8dee6; --dim:#7d8a99; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --left:#8b949e; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:14px 24px; border-bottom:1px solid var(--line); background:#121920; }
header h1 { margin:0; font-size:18px; letter-spacing:.5px; }
header .node { color:var(--dim); }
header .status { margin-left:auto; font-size:12px; color:var(--dim); }
header .dot { display:inline-block; width:8px; height:8px; border-radius:50%; background:var(--bad); margin-right:6px; vertical-align:middle; }
header .dot.on { background:var(--ok); }
main { display:grid; grid-template-columns: minmax(420px, 1fr) minmax(360px, 460px); gap:16px; padding:16px 24px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
section h2 { margin:0 0 10px; font-size:13px; text-transform:uppercase; letter-spacing:1px; color:var(--dim); font-weight:600; }
table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--dim); font-weight:500; font-size:12px; }
td.num, th.num { text-align:right; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:8px; vertical-align:middle; }
.state { padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
.state.alive { background:rgba(63,185,80,.15); color:var(--ok); }
.state.suspect { background:rgba(210,153,34,.15); color:var(--warn); }
.state.dead { background:rgba(248,81,73,.15); color:var(--bad); }
.state.left { background:rgba(139,148,158,.15); color:var(--left); }
.caps { color:var(--dim); font-size:12px; }
.maps { display:flex; flex-wrap:wrap; gap:18px; }
.map { display:flex; flex-direction:column; gap:6px; }
.map canvas { width:256px; height:256px; border:1px solid var(--line); border-radius:4px; image-rendering:pixelated; background:#0b0f14; }
.map .title { font-weight:600; }
.legend { font-size:12px; color:var(--dim); }
.legend div { margin:2px 0; }
#events { list-style:none; margin:0; padding:0; max-height:260px; overflow:auto; font-size:13px; }
#events li { padding:4px 0; border-bottom:1px solid var(--line); display:flex; gap:10px; }
#events time { color:var(--dim); font-variant-numeric: tabular-nums; }
#events .kind { font-weight:600; min-width:130px; }
.kind.member\\:dead { color:var(--bad); } .kind.member\\:suspect { color:var(--warn); } .kind.member\\:left { color:var(--left); }
.kind.member\\:joined, .kind.member\\:alive { color:var(--ok); } .kind.rebalance { color:#58a6ff; }
form { display:flex; gap:8px; margin-bottom:10px; }
input, select, button { background:#0b0f14; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:6px 8px; font:inherit; }
input { flex:1; min-width:0; }
button { background:#1f6feb; border-color:#1f6feb; cursor:pointer; }
#explain dl { display:grid; grid-template-columns:auto 1fr; gap:4px 12px; margin:0; }
#explain dt { color:var(--dim); }
#explain dd { margin:0; }
.bar { height:6px; background:#58a6ff; border-radius:3px; }
.muted { color:var(--dim); }
.error { color:var(--bad); }
</style>
</head>
<body>
<header><h1>Mesh</h1><span class="node" id="node"></span><span class="status"><span class="dot" id="dot"></span><span id="conn">connecting…</span></span></header>
<main>
  <div style="display:flex; flex-direction:column; gap:16px">
    <section><h2>Members</h2><table id="members"><thead><tr><th>Node</th><th>State</th><th class="num">Inc.</th><th>Gossip</th><th>Capabilities</th><th class="num">Actors</th><th class="num">Calls/s</th></tr></thead><tbody></tbody></table></section>
    <section><h2>Shard maps</h2><div class="maps" id="maps"></div></section>
  </div>
  <div style="display:flex; flex-direction:column; gap:16px">
    <section><h2>Explain placement</h2>
      <form id="explain-form"><select id="capability"></select><input id="actor-id" placeholder="actor id" autocomplete="off"><button type="submit">Explain</button></form>
      <div id="explain" class="muted">Type an actor id to see its shard, the candidate nodes and where it is active.</div>
    </section>
    <section><h2>Events</h2><ul id="events"></ul></section>
  </div>
</main>
<script>
"use strict";
const PALETTE = ["#58a6ff","#3fb950","#d29922","#bc8cff","#ff7b72","#39c5cf","#f778ba","#a5d6ff","#7ee787","#e3b341","#ffa657","#8b949e"];
const colors = new Map();
function colorOf(name) {
  if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]);
  return colors.get(name);
}
const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => token ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : path;
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}
/** The cluster view as the feed left it: a whole view first, then deltas merged in. */
let view;
let dirty = false;
let frameQueued = false;
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
function applyDelta(delta) {
  if (!view) return; // deltas apply to a whole view, which comes first
  const previous = new Map(view.capabilities.map((c) => [c.capability, c.owners]));
  view = { ...view, ...delta };
  if (delta.capabilities) for (const cap of view.capabilities) if (cap.owners === null) cap.owners = previous.get(cap.capability) || [];
}
/** At most one render per frame, none while the page is hidden (it catches up when shown). */
function scheduleRender() {
  dirty = true;
  if (frameQueued || document.hidden) return;
  frameQueued = true;
  requestAnimationFrame(() => { frameQueued = false; if (dirty && view) { dirty = false; render(view); } });
}
document.addEventListener("visibilitychange", () => {
  if (document.hidden) { hiddenTimer = setTimeout(disconnect, HIDDEN_CLOSE_MS); return; }
  clearTimeout(hiddenTimer);
  if (!source) connect();
  if (dirty) scheduleRender();
});
function render(view) {
  setText($("node"), "admin of " + view.node);
  renderMembers(view);
  renderMaps(view);
  const select = $("capability");
  const current = select.value;
  const names = view.capabilities.map((c) => c.capability);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (names.includes(current)) select.value = current;
  }
}
const COLUMNS = 7;
/** Rows are kept by node name; a cell is written only when its text changed. */
function renderMembers(view) {
  const body = $("members").querySelector("tbody");
  const rows = new Map([...body.children].map((row) => [row.dataset.node, row]));
  const members = [...view.members].sort((a, b) => a.name.localeCompare(b.name));
  const wanted = new Set(members.map((m) => m.name));
  for (const [name, row] of rows) if (!wanted.has(name)) { row.remove(); rows.delete(name); }
  members.forEach((m, index) => {
    let row = rows.get(m.name);
    if (!row) {
      row = el("tr", { "data-node": m.name }, ...Array.from({ length: COLUMNS }, () => el("td")));
      const cells = row.children;
      cells[0].append(el("span", { class: "swatch", style: "background:" + colorOf(m.name) }), document.createTextNode(m.name));
      cells[1].append(el("span"));
      cells[2].className = "num"; cells[3].className = "caps"; cells[4].className = "caps"; cells[5].className = "num"; cells[6].className = "num";
    }
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
    const report = view.nodes[m.name] || {};
    const live = m.state === "alive" || m.state === "suspect";
    const cells = row.children;
    setAttr(row, "data-state", m.state);
    const badge = cells[1].firstChild;
    setAttr(badge, "class", "state " + m.state);
    setText(badge, m.state);
    setText(cells[2], String(m.incarnation));
    setText(cells[3], m.gossip);
    setText(cells[4], m.capabilities.join(", ") || "—");
    setText(cells[5], live && report.reachable ? String(report.activeActors) : "—");
    setText(cells[6], live && report.reachable ? report.callsPerSecond.toFixed(1) : "—");
  });
}
function renderMaps(view) {
  const maps = $("maps");
  const seen = new Set();
  if (view.capabilities.length === 0) {
    if (!maps.querySelector(".muted")) maps.replaceChildren(el("span", { class: "muted" }, "No capability yet."));
    return;
  }
  maps.querySelector(".muted")?.remove();
  for (const cap of view.capabilities) {
    seen.add(cap.capability);
    let box = maps.querySelector('[data-capability="' + CSS.escape(cap.capability) + '"]');
    if (!box) {
      box = el("div", { class: "map", "data-capability": cap.capability },
        el("span", { class: "title" }, cap.capability), el("canvas", { width: "64", height: "64" }), el("div", { class: "legend" }));
      maps.append(box);
    }
    drawMap(box.querySelector("canvas"), cap);
    const legend = box.querySelector(".legend");
    while (legend.children.length > cap.nodes.length) legend.lastChild.remove();
    cap.nodes.forEach((name, i) => {
      let line = legend.children[i];
      if (!line) { line = el("div", {}, el("span", { class: "swatch" }), document.createTextNode("")); legend.append(line); }
      setAttr(line.firstChild, "style", "background:" + colorOf(name));
      const text = name + ": " + (cap.shardsByNode[name] || 0) + " shards, " + (cap.actorsByNode[name] || 0) + " actors";
      if (line.lastChild.data !== text) line.lastChild.data = text;
    });
  }
  for (const box of [...maps.children]) if (!seen.has(box.dataset.capability)) box.remove();
}
/** Per canvas: the owners and nodes painted last and the pixels, so only changed cells are repainted. */
const painted = new WeakMap();
function drawMap(canvas, cap) {
  const owners = cap.owners;
  const nodes = cap.nodes.join(",");
  let state = painted.get(canvas);
  if (state && state.ownersRef === owners && state.nodes === nodes) return;
  const side = Math.ceil(Math.sqrt(owners.length));
  if (!state || state.side !== side || state.nodes !== nodes) {
    if (canvas.width !== side) { canvas.width = side; canvas.height = side; }
    const rgb = cap.nodes.map((n) => { const c = colorOf(n); return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]; });
    state = { side, nodes, rgb, image: canvas.getContext("2d").createImageData(side, side), owners: new Int16Array(side * side).fill(-2) };
    painted.set(canvas, state);
  }
  const data = state.image.data;
  let low = Infinity, high = -1;
  for (let shard = 0; shard < owners.length; shard++) {
    const owner = owners[shard];
    if (state.owners[shard] === owner) continue;
    state.owners[shard] = owner;
    const c = state.rgb[owner] || [40, 40, 40];
    const at = shard * 4;
    data[at] = c[0]; data[at + 1] = c[1]; data[at + 2] = c[2]; data[at + 3] = 255;
    if (shard < low) low = shard;
    high = shard;
  }
  state.ownersRef = owners;
  if (high < 0) return;
  // Only the rows holding changed cells are put back.
  const top = Math.floor(low / side), rows = Math.floor(high / side) - top + 1;
  canvas.getContext("2d").putImageData(state.image, 0, 0, 0, top, side, rows);
  canvas.dataset.owners = owners.join(",");
  canvas.dataset.nodes = nodes;
}
/** Events already listed: a reconnected feed replays its recent ones. */
const listed = new Set();
function addEvent(event) {
  const key = event.at + " " + event.type + " " + event.node + " " + event.detail;
  if (listed.has(key)) return;
  listed.add(key);
  const list = $("events");
  const time = new Date(event.at).toLocaleTimeString([], { hour12: false });
  list.prepend(el("li", { "data-type": event.type, "data-key": key }, el("time", {}, time), el("span", { class: "kind " + event.type }, event.type), el("span", {}, event.detail)));
  while (list.children.length > 100) { listed.delete(list.lastChild.dataset.key); list.lastChild.remove(); }
}
/** A page hidden this long closes its feed (the node then does nothing for it) and reopens it when shown. */
const HIDDEN_CLOSE_MS = 10000;
let source;
let hiddenTimer;
function connect() {
  source = new EventSource(withToken("/api/events"));
  source.addEventListener("open", () => { $("dot").classList.add("on"); $("conn").textContent = "live"; });
  source.addEventListener("error", () => { $("dot").classList.remove("on"); $("conn").textContent = "reconnecting…"; });
  source.addEventListener("cluster", (e) => { view = JSON.parse(e.data); scheduleRender(); });
  source.addEventListener("cluster-delta", (e) => { if (view) { applyDelta(JSON.parse(e.data)); scheduleRender(); } });
  source.addEventListener("event", (e) => addEvent(JSON.parse(e.data)));
}
function disconnect() {
  source?.close();
  source = undefined;
  view = undefined; // the reopened feed starts with a whole view
  $("dot").classList.remove("on");
  $("conn").textContent = "paused (page hidden)";
}
$("explain-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const capability = $("capability").value, id = $("actor-id").value.trim();
  const out = $("explain");
  if (!capability || !id) return;
  try {
    const res = await fetch(withToken("/api/explain?capability=" + encodeURIComponent(capability) + "&id=" + encodeURIComponent(id)));
    const x = await res.json();
    if (!res.ok) throw new Error(x.error ? x.error.message : res.statusText);
    const top = x.candidates.length ? Math.max(...x.candidates.map((c) => c.score)) : 1;
    const low = x.candidates.length ? Math.min(...x.candidates.map((c) => c.score)) : 0;
    const active = Object.entries(x.active).map(([n, mods]) => n + " (" + mods.join(", ") + ")").join("; ") || "not active";
    out.className = "";
    out.replaceChildren(el("dl", {},
      el("dt", {}, "Shard"), el("dd", { "data-field": "shard" }, x.shard + " of " + x.shardCount),
      el("dt", {}, "Owner"), el("dd", { "data-field": "owner" }, x.owner || "none"),
      el("dt", {}, "Active"), el("dd", { "data-field": "active" }, active),
      el("dt", {}, "Strategy"), el("dd", {}, x.strategy),
      el("dt", {}, "Last move"), el("dd", { "data-field": "last-move" }, x.lastMovedAt ? new Date(x.lastMovedAt).toLocaleTimeString([], { hour12: false }) + " — " + x.lastMoveReason : "not since this node started")),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Candidate"), el("th", { class: "num" }, "Weight"), el("th", { class: "num" }, "Score"), el("th", {}, ""))),
        el("tbody", {}, ...x.candidates.map((c) => el("tr", {},
          el("td", {}, el("span", { class: "swatch", style: "background:" + colorOf(c.node) }), c.node + (c.node === x.owner ? " ★" : "")),
          el("td", { class: "num" }, String(c.weight)),
          el("td", { class: "num" }, c.score.toFixed(3)),
          el("td", { style: "width:40%" }, el("div", { class: "bar", style: "width:" + Math.max(4, 100 * (c.score - low + 1e-9) / (top - low + 1e-9)) + "%" })))))));
  } catch (error) {
    out.className = "error";
    out.textContent = String(error.message || error);
  }
});
connect();
if (document.hidden) hiddenTimer = setTimeout(disconnect, HIDDEN_CLOSE_MS);
</script>
</body>
</html>
`;
