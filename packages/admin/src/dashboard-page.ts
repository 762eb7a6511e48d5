/**
 * The dashboard: one self-contained page (no build step, no external asset),
 * fed by the server-sent events of GET /api/events. It redraws only when a
 * cluster view arrives (once a second), so an open dashboard costs the node one
 * view per second, shared by every open page.
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
let last;
/** The last shard map per capability: the feed sends owners only when they changed. */
const maps_ = {};
function render(view) {
  last = view;
  $("node").textContent = "admin of " + view.node;
  const body = $("members").querySelector("tbody");
  body.replaceChildren(...[...view.members].sort((a, b) => a.name.localeCompare(b.name)).map((m) => {
    const report = view.nodes[m.name] || {};
    const live = m.state === "alive" || m.state === "suspect";
    const row = el("tr", { "data-node": m.name, "data-state": m.state },
      el("td", {}, el("span", { class: "swatch", style: "background:" + colorOf(m.name) }), m.name),
      el("td", {}, el("span", { class: "state " + m.state }, m.state)),
      el("td", { class: "num" }, String(m.incarnation)),
      el("td", { class: "caps" }, m.gossip),
      el("td", { class: "caps" }, m.capabilities.join(", ") || "—"),
      el("td", { class: "num" }, live && report.reachable ? String(report.activeActors) : "—"),
      el("td", { class: "num" }, live && report.reachable ? report.callsPerSecond.toFixed(1) : "—"));
    return row;
  }));
  const maps = $("maps");
  const seen = new Set();
  for (const cap of view.capabilities) {
    seen.add(cap.capability);
    let box = maps.querySelector('[data-capability="' + CSS.escape(cap.capability) + '"]');
    if (!box) {
      box = el("div", { class: "map", "data-capability": cap.capability },
        el("span", { class: "title" }, cap.capability), el("canvas", { width: "64", height: "64" }), el("div", { class: "legend" }));
      maps.append(box);
    }
    if (cap.owners === null) cap.owners = maps_[cap.capability] || [];
    else { maps_[cap.capability] = cap.owners; drawMap(box.querySelector("canvas"), cap); }
    box.querySelector(".legend").replaceChildren(...cap.nodes.map((name) => el("div", {},
      el("span", { class: "swatch", style: "background:" + colorOf(name) }),
      name + ": " + (cap.shardsByNode[name] || 0) + " shards, " + (cap.actorsByNode[name] || 0) + " actors")));
  }
  for (const box of [...maps.children]) if (!seen.has(box.dataset.capability)) box.remove();
  if (view.capabilities.length === 0) maps.replaceChildren(el("span", { class: "muted" }, "No capability yet."));
  const select = $("capability");
  const current = select.value;
  const names = view.capabilities.map((c) => c.capability);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (names.includes(current)) select.value = current;
  }
}
function drawMap(canvas, cap) {
  const ctx = canvas.getContext("2d");
  const side = Math.ceil(Math.sqrt(cap.owners.length));
  if (canvas.width !== side) { canvas.width = side; canvas.height = side; }
  const image = ctx.createImageData(side, side);
  const rgb = cap.nodes.map((n) => { const c = colorOf(n); return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]; });
  cap.owners.forEach((owner, shard) => {
    const c = rgb[owner] || [40, 40, 40];
    image.data.set([c[0], c[1], c[2], 255], shard * 4);
  });
  ctx.putImageData(image, 0, 0);
  canvas.dataset.owners = cap.owners.join(",");
  canvas.dataset.nodes = cap.nodes.join(",");
}
function addEvent(event) {
  const list = $("events");
  const time = new Date(event.at).toLocaleTimeString([], { hour12: false });
  list.prepend(el("li", { "data-type": event.type }, el("time", {}, time), el("span", { class: "kind " + event.type }, event.type), el("span", {}, event.detail)));
  while (list.children.length > 100) list.lastChild.remove();
}
function connect() {
  const source = new EventSource(withToken("/api/events"));
  source.addEventListener("open", () => { $("dot").classList.add("on"); $("conn").textContent = "live"; });
  source.addEventListener("error", () => { $("dot").classList.remove("on"); $("conn").textContent = "reconnecting…"; });
  source.addEventListener("cluster", (e) => render(JSON.parse(e.data)));
  source.addEventListener("event", (e) => addEvent(JSON.parse(e.data)));
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
</script>
</body>
</html>
`;
