// The operator inbox. Plain ES modules, no build step. Customer data is only ever put into
// the page as text (textContent / text nodes), never as HTML.
import { locale, setLocale, t } from "/static/i18n.js";

const state = {
  me: null, csrf: null, tab: "mine", items: [], cursor: null, current: null,
  messages: new Map(), olderCursor: null, directory: { operators: [], teams: [] }, canned: [],
  lastEventId: null, ws: null, wsRetry: 0, refreshTimer: null, collisionTimer: null,
  typingSentAt: 0, statuses: new Map(), stages: new Map(),
};
const CHANNELS = new Set(["telegram", "viber", "instagram", "email", "api"]);
const RANK = { received: 0, pending: 1, retrying: 2, sent: 3, delivered: 4, read: 5, failed: 6 };
const TICKS = { pending: "🕓", retrying: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "⚠" };

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Like replaceChildren, but flattens arrays and skips empty parts (as el() does).
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch { return null; }
}

function channelIcon(kind) {
  const name = CHANNELS.has(kind) ? kind : "api";
  return el("img", { class: "channel", src: `/static/${name}.svg`, alt: name, title: name });
}

function timeOf(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString(locale(), { day: "2-digit", month: "short" });
}

class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

async function api(method, path, body, form = false) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf || "";
  let payload;
  if (form) payload = body;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const resp = await fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: "same-origin" });
  const data = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (resp.status === 401 && path !== "/auth/login") { showLogin(); }
  if (!resp.ok) throw new ApiError(data?.error?.message || resp.statusText, data?.error?.code, resp.status);
  return data;
}

// ---------------------------------------------------------------- login

function showLogin() {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  $("app-view").hidden = true;
  $("login-view").hidden = false;
  $("login-name").focus();
}

async function onLogin(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const me = await api("POST", "/auth/login", { login: $("login-name").value, password: $("login-password").value });
    $("login-password").value = "";
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    await start(me);
  } catch (e) {
    $("login-error").textContent = e.status === 429 ? t("rate_limited") : t("bad_login");
  }
}

async function start(me) {
  state.me = me.operator;
  state.csrf = me.csrf_token;
  setLocale(state.me.locale);
  $("locale").value = locale();
  $("me-name").textContent = state.me.name;
  $("open-admin").hidden = state.me.role !== "admin";
  $("open-reports").hidden = !["admin", "manager"].includes(state.me.role);
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  const [directory, canned, pipelines] = await Promise.all([
    api("GET", "/directory"), api("GET", "/canned-responses"),
    api("GET", "/crm/pipelines").catch(() => ({ items: [] })),
  ]);
  state.directory = directory;
  $("assignee-filter").replaceChildren(
    el("option", { value: "" }, t("any_assignee")),
    ...directory.operators.map((o) => el("option", { value: o.id }, o.name)));
  state.canned = canned.items;
  // Stage names by "pipeline:stage", so the card shows "Payment", not "payment".
  state.stages = new Map(pipelines.items.flatMap((p) => p.stages.map((st) => [`${p.id}:${st.id}`, st.name])));
  renderCanned();
  selectTab(state.tab);
  connect();
}

// ---------------------------------------------------------------- list

function listQuery() {
  const params = new URLSearchParams({ tab: state.tab, limit: "30" });
  const q = $("search").value.trim();
  if (q) params.set("q", q);
  if ($("channel-filter").value) params.set("channel", $("channel-filter").value);
  if ($("waiting-filter").value) params.set("waiting_min", $("waiting-filter").value);
  if ($("assignee-filter").value) params.set("assignee_id", $("assignee-filter").value);
  return params;
}

async function loadList(more = false) {
  const params = listQuery();
  if (more && state.cursor) params.set("cursor", state.cursor);
  const [page, counts] = await Promise.all([
    api("GET", `/conversations?${params}`),
    more ? null : api("GET", "/conversations/counts"),
  ]);
  state.items = more ? state.items.concat(page.items) : page.items;
  state.cursor = page.next_cursor;
  if (counts) for (const [tab, n] of Object.entries(counts)) {
    const badge = document.querySelector(`[data-count="${tab}"]`);
    if (badge) badge.textContent = n ? String(n) : "";
  }
  renderList();
}

// Throttled, not debounced: a steady stream of events refreshes the list about once a
// second instead of never, and 50 open pages do not hammer the server on every event.
function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    loadList().catch(() => {});
  }, 800);
}

function waitingMinutes(c) {
  if (c.status === "resolved" || !c.last_customer_message_at) return 0;
  if (c.last_response_at && c.last_response_at >= c.last_customer_message_at) return 0;
  return Math.floor((Date.now() - new Date(c.last_customer_message_at).getTime()) / 60000);
}

function renderList() {
  const list = $("conversation-list");
  list.replaceChildren();
  if (!state.items.length) list.append(el("li", { class: "empty-item" }, t("empty_list")));
  for (const item of state.items) {
    const c = item.conversation;
    const wait = waitingMinutes(c);
    list.append(el("li", {
      class: "conv" + (state.current?.id === c.id ? " active" : "") + (c.unread_count ? " unread" : ""),
      dataset: { id: c.id }, tabindex: "0", onclick: () => openConversation(c.id),
    },
      channelIcon(c.channel),
      el("div", { class: "conv-body" },
        el("div", { class: "conv-top" },
          el("span", { class: "conv-name" }, item.contact.name),
          el("span", { class: "conv-assignee muted" }, nameOf(c.assignee_id)),
          el("span", { class: "conv-time" }, timeOf(c.last_message_at || c.updated_at))),
        el("div", { class: "conv-bottom" },
          el("span", { class: "conv-preview" }, c.last_message_preview || ""),
          wait > 0 ? el("span", { class: "badge wait" + (wait >= 15 ? " late" : ""), title: t("waiting") }, `${wait} ${t("min")}`) : null,
          c.unread_count ? el("span", { class: "badge unread-count" }, String(c.unread_count)) : null))));
  }
  $("load-more").hidden = !state.cursor;
}

function selectTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("selected", button.dataset.tab === tab);
  }
  loadList().catch(() => {});
}

// ---------------------------------------------------------------- conversation

function nameOf(operatorId) {
  if (!operatorId) return t("unassigned");
  return state.directory.operators.find((o) => o.id === operatorId)?.name || "—";
}

async function openConversation(id) {
  const [item, page, card] = await Promise.all([
    api("GET", `/conversations/${id}`),
    api("GET", `/conversations/${id}/messages?limit=50`),
    api("GET", `/conversations/${id}/contact`),
  ]);
  state.current = item.conversation;
  state.currentContact = item.contact;
  state.currentLine = item.line_name;
  state.messages = new Map();
  for (const m of page.items.slice().reverse()) mergeMessage(m);
  state.olderCursor = page.next_before;
  $("empty-chat").hidden = true;
  $("chat").hidden = false;
  $("collision").hidden = true;
  renderHead();
  renderMessages(true);
  state.card = card;
  renderContact(card);
  renderList();
  sendWs({ type: "viewing", conversation_id: id });
  if (item.conversation.unread_count) api("POST", `/conversations/${id}/read`).catch(() => {});
}

function renderHead() {
  const c = state.current;
  $("chat-channel").src = `/static/${CHANNELS.has(c.channel) ? c.channel : "api"}.svg`;
  $("chat-name").textContent = state.currentContact.name;
  $("chat-line").textContent = state.currentLine;
  $("chat-status").textContent = t(`status_${c.status}`);
  $("chat-status").className = `status ${c.status}`;
  $("chat-assignee").textContent = nameOf(c.assignee_id);
  showWindow();
  $("chat-subject").textContent = c.subject || "";
  $("chat-subject").hidden = !c.subject;
  $("act-claim").hidden = Boolean(c.assignee_id) || c.status === "resolved";
  $("act-resolve").hidden = c.status === "resolved";
  $("act-reopen").hidden = c.status === "open";
  const transfer = $("act-transfer");
  transfer.replaceChildren(el("option", { value: "" }, t("transfer")));
  const ops = state.directory.operators.filter((o) => o.id !== c.assignee_id);
  transfer.append(el("optgroup", { label: t("operators") }, ops.map((o) => el("option", { value: `op:${o.id}` }, o.name))));
  transfer.append(el("optgroup", { label: t("teams") }, state.directory.teams.map((tm) => el("option", { value: `team:${tm.id}` }, tm.name))));
}

function tick(m) {
  if (m.direction !== "out") return null;
  return el("span", { class: `tick ${m.status}`, dataset: { status: m.status },
    title: m.error?.reason || t(m.status === "failed" ? "failed" : m.status) }, TICKS[m.status] || "");
}

function attachmentNode(a) {
  if (a.file_id) {
    const href = `/api/v1/files/${encodeURIComponent(a.file_id)}`;
    if (a.kind === "image") return el("a", { href, target: "_blank", rel: "noopener" }, el("img", { class: "thumb", src: href, alt: a.name || "image" }));
    return el("a", { class: "file", href, target: "_blank", rel: "noopener" }, `📎 ${a.name || a.kind}`);
  }
  const url = a.url ? safeUrl(a.url) : null;
  if (url) return el("a", { class: "file", href: url, target: "_blank", rel: "noopener noreferrer" }, `📎 ${a.name || a.kind}`);
  if (a.kind === "location") return el("span", { class: "file" }, `📍 ${a.latitude}, ${a.longitude}`);
  return el("span", { class: "file" }, `📎 ${a.name || a.title || a.kind}`);
}

// Email: the sanitized HTML (server-side, nh3) shown on demand in a sandboxed frame that
// runs no script; remote images stay off until the operator asks for them.
function originalFrame(mail, remote) {
  const doc = new DOMParser().parseFromString(mail.html, "text/html");
  if (remote) {
    for (const img of doc.querySelectorAll("img[data-remote-src]")) {
      const src = img.getAttribute("data-remote-src");
      if (/^https?:\/\//i.test(src)) img.setAttribute("src", src);
    }
  }
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:${remote ? " https: http:" : ""}`;
  const head = `<meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_blank">`;
  return el("iframe", { class: "original", sandbox: "allow-same-origin allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer", srcdoc: `<!doctype html><html><head>${head}</head><body>${doc.body.innerHTML}</body></html>` });
}

function mailParts(m) {
  const mail = m.mail;
  if (!mail) return null;
  const parts = [];
  if (mail.automatic) parts.push(el("div", { class: "auto-label", title: mail.automatic }, t("automatic")));
  if (mail.quoted) parts.push(el("details", { class: "quoted" }, el("summary", {}, t("quoted_text")), el("div", { class: "text" }, mail.quoted)));
  if (mail.html) {
    const box = el("div", { class: "original-box" });
    const toggle = el("button", { class: "ghost small", type: "button", onclick: () => {
      const open = !box.hasChildNodes();
      toggle.textContent = t(open ? "hide_original" : "show_original");
      if (!open) { box.replaceChildren(); return; }
      const images = mail.remote_images ? el("button", { class: "ghost small", type: "button",
        onclick: (e) => { e.target.remove(); box.querySelector("iframe").replaceWith(originalFrame(mail, true)); } }, t("load_images")) : null;
      fill(box, images, originalFrame(mail, false));
    } }, t("show_original"));
    parts.push(toggle, box);
  }
  return parts;
}

function bubble(m) {
  // An unsent message keeps its text for audit: hidden until the operator asks for it.
  const body = m.deleted_at
    ? el("details", { class: "unsent" }, el("summary", {}, t("unsent")),
        m.text ? el("div", { class: "text" }, m.text) : null, m.attachments.map(attachmentNode))
    : [m.text ? el("div", { class: "text" }, m.text) : null, mailParts(m), m.attachments.map(attachmentNode)];
  const reactions = (m.reactions || []).map((r) => r.emoji).join(" ");
  const classes = `msg ${m.direction}${m.deleted_at ? " deleted" : ""}${m.mail?.automatic ? " automatic" : ""}`;
  return el("div", { class: classes, dataset: { id: m.id } },
    m.direction === "note" ? el("div", { class: "note-label" }, `${t("note")} · ${nameOf(m.sender_id)}`) : null,
    m.sent_outside ? el("div", { class: "note-label" }, t("sent_outside")) : null,
    body,
    reactions ? el("div", { class: "reactions" }, reactions) : null,
    el("div", { class: "meta" }, timeOf(m.created_at), " ", tick(m)));
}

const HOUR = 3600000;

function span(ms) {
  return ms >= 48 * HOUR ? `${Math.floor(ms / (24 * HOUR))} ${t("days")}` : ms >= HOUR ? `${Math.floor(ms / HOUR)} h` : `${Math.max(1, Math.floor(ms / 60000))} min`;
}

// Instagram's reply window, as the server enforces it (the line's Human Agent permission
// decides whether the 7-day part is usable; the server says so if it is not).
function windowNote(c) {
  if (c.channel !== "instagram") return "";
  const all = [...state.messages.values()];
  const lastIn = all.filter((m) => m.direction === "in").at(-1);
  if (lastIn?.external_id?.startsWith("comment:")) {
    const answered = all.some((m) => m.direction === "out" && m.created_at > lastIn.created_at && m.status !== "failed");
    const left = new Date(lastIn.created_at).getTime() + 7 * 24 * HOUR - Date.now();
    if (answered || left <= 0) return t("ig_comment_used");
    return t("ig_comment_open").replace("{left}", span(left));
  }
  if (!c.last_customer_message_at) return t("ig_window_closed");
  const last = new Date(c.last_customer_message_at).getTime();
  const open = last + 24 * HOUR - Date.now();
  if (open > 0) return t("ig_window_open").replace("{left}", span(open));
  const agent = last + 7 * 24 * HOUR - Date.now();
  if (agent > 0) return t("ig_window_human").replace("{left}", span(agent));
  return t("ig_window_closed");
}

// A message can reach the page three ways (the reply's answer, message.created, and
// message.status) in any order; delivery statuses only move forward, as on the server.
function mergeMessage(m) {
  let merged = { ...state.messages.get(m.id), ...m };
  const old = state.messages.get(m.id);
  const late = state.statuses.get(m.id);
  for (const candidate of [old, late]) {
    if (candidate && RANK[candidate.status] > RANK[merged.status]) {
      merged = { ...merged, status: candidate.status, error: candidate.error ?? merged.error };
    }
  }
  state.messages.set(m.id, merged);
}

function showWindow() {
  const note = state.current ? windowNote(state.current) : "";
  $("composer-window").textContent = note;
  $("composer-window").hidden = !note;
}

function renderMessages(scroll) {
  showWindow();
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.replaceChildren();
  if (state.olderCursor) box.append(el("button", { class: "ghost older", onclick: loadOlder }, "…"));
  for (const m of state.messages.values()) box.append(bubble(m));
  if (scroll || nearBottom) box.scrollTop = box.scrollHeight;
}

async function loadOlder() {
  const page = await api("GET", `/conversations/${state.current.id}/messages?limit=50&before=${encodeURIComponent(state.olderCursor)}`);
  const merged = new Map();
  for (const m of page.items.slice().reverse()) merged.set(m.id, m);
  for (const [id, m] of state.messages) merged.set(id, m);
  state.messages = merged;
  state.olderCursor = page.next_before;
  renderMessages(false);
}

async function refreshCard(id) {
  const card = await api("GET", `/conversations/${id}/contact`);
  if (state.current && state.current.id === id) { state.card = card; renderContact(card); }
}

function renderContact(card) {
  const box = $("contact-card");
  const contact = card.contact;
  const timeline = card.overview.timeline || [];
  const crm = timeline.filter((i) => i.type === "lead" || i.type === "deal");
  const tasks = timeline.filter((i) => i.type === "task" && !i.task.done);
  const company = card.overview.company;
  fill(box,
    el("h2", {}, contact.name),
    company ? el("p", { class: "muted company" }, company.name) : null,
    el("section", {},
      el("h3", {}, t("channels")),
      el("ul", {}, contact.identities.map((i) => el("li", {}, channelIcon(i.channel), " ", i.username ? `@${i.username}` : i.display_name || i.external_id)))),
    contact.phones.length ? el("section", {}, el("h3", {}, t("phones")), el("ul", {}, contact.phones.map((p) => el("li", {}, p)))) : null,
    contact.emails.length ? el("section", {}, el("h3", {}, t("emails")), el("ul", {}, contact.emails.map((p) => el("li", {}, p)))) : null,
    el("section", { class: "crm" },
      el("h3", {}, t("crm")),
      crm.length ? el("ul", {}, crm.map((i) => {
        const thing = i.lead || i.deal || {};
        const stage = state.stages?.get(`${thing.pipeline_id}:${thing.stage_id}`) || thing.stage_id || thing.status;
        return el("li", {}, el("b", {}, i.type === "lead" ? t("lead") : t("deal")), " ", thing.title || "",
          stage ? el("span", { class: "stage" }, ` · ${t("stage")}: ${stage}`) : null,
          thing.amount ? ` · ${thing.amount} ${thing.currency || ""}` : null);
      })) : el("p", { class: "muted" }, t("no_crm")),
      tasks.length ? el("ul", { class: "tasks" }, tasks.map((i) => el("li", {}, `☐ ${i.task.title} · ${timeOf(i.task.due_at)}`))) : null),
    el("section", {},
      el("h3", {}, t("history")),
      el("ul", {}, timeline.filter((i) => i.type === "conversation").map((i) => el("li", {},
        channelIcon(i.conversation.channel), " ", timeOf(i.at), " · ", t(`status_${i.conversation.status}`))))));
}

function renderCanned() {
  const select = $("canned");
  fill(select, el("option", { value: "" }, t("canned")), state.canned.map((c) => el("option", { value: c.id }, c.title)));
}

async function act(path, body) {
  try {
    const out = await api("POST", `/conversations/${state.current.id}/${path}`, body);
    if (out?.conversation) { state.current = out.conversation; renderHead(); }
    scheduleRefresh();
  } catch (e) { $("composer-error").textContent = e.message; }
}

async function onSend(event) {
  event?.preventDefault();
  if (!state.current) return;
  const text = $("reply").value;
  const file = $("file").files[0];
  const note = $("note-mode").checked;
  if (!text.trim() && !file) return;
  $("composer-error").textContent = "";
  $("send").disabled = true;
  try {
    let out;
    if (file && !note) {
      const form = new FormData();
      if (text.trim()) form.append("text", text);
      form.append("file", file, file.name);
      out = await api("POST", `/conversations/${state.current.id}/messages`, form, true);
    } else {
      out = await api("POST", `/conversations/${state.current.id}/${note ? "notes" : "messages"}`, { text });
    }
    mergeMessage(out.message);
    renderMessages(true);
    $("reply").value = "";
    $("file").value = "";
    $("file-name").textContent = "";
  } catch (e) {
    $("composer-error").textContent = e.message;
  } finally {
    $("send").disabled = false;
  }
}

// ---------------------------------------------------------------- live

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const query = state.lastEventId ? `?last_event_id=${encodeURIComponent(state.lastEventId)}` : "";
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws${query}`);
  state.ws = ws;
  ws.onopen = () => { state.wsRetry = 0; liveState(true); sendWs({ type: "presence", status: $("presence").value }); };
  ws.onmessage = (msg) => onEvent(JSON.parse(msg.data));
  ws.onclose = () => {
    liveState(false);
    if (state.ws !== ws) return;
    const delay = Math.min(10000, 500 * 2 ** state.wsRetry++);
    setTimeout(connect, delay);
  };
}

function liveState(up) {
  $("live-state").textContent = up ? `● ${t("live")}` : `○ ${t("offline_live")}`;
  $("live-state").className = `live-state ${up ? "up" : "down"}`;
}

function sendWs(data) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(data));
}

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
  } catch { /* no audio device */ }
}

function notify(title, body) {
  beep();
  if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
    new Notification(title, { body, tag: "inbox" });
  }
}

function onEvent(event) {
  if (event.id) state.lastEventId = event.id;
  const current = state.current;
  const here = current && event.conversation_id === current.id;
  switch (event.type) {
    case "hello": if (state.items.length) scheduleRefresh(); break;
    case "resync": scheduleRefresh(); if (current) openConversation(current.id); break;
    case "message.created":
    case "message.updated": {
      const m = event.data.message;
      if (here) { mergeMessage(m); renderMessages(false); }
      if (m.direction === "in" && event.assignee_id === state.me.id && (!here || document.hidden)) {
        notify(t("conversation"), m.text || "");
      }
      scheduleRefresh();
      break;
    }
    case "message.status": {
      const update = { status: event.data.status, error: event.data.error };
      state.statuses.set(event.data.message_id, update);
      const m = here && state.messages.get(event.data.message_id);
      if (m) { mergeMessage({ ...m, ...update }); renderMessages(false); }
      break;
    }
    case "conversation.assigned": {
      const c = event.data.conversation;
      if (c.assignee_id === state.me.id && event.data.hop?.by !== state.me.id) notify(t("new_assigned"), c.last_message_preview || "");
    }
    // falls through
    case "conversation.created":
    case "conversation.updated":
    case "conversation.status":
      if (here) { state.current = event.data.conversation; renderHead(); }
      scheduleRefresh();
      break;
    case "line.warning":
      // Only admins and managers get these (a line's token could not be renewed...).
      notify(t("line_warning"), event.data.message || "");
      $("composer-error").textContent = event.data.message || "";
      break;
    case "crm.updated":
      // A lead or deal was created, linked or moved: refresh the contact card in place.
      if (here) refreshCard(current.id).catch(() => {});
      break;
    case "typing":
    case "viewing":
      if (here && event.data.operator_id !== state.me.id) {
        const box = $("collision");
        box.textContent = `${event.data.name} ${t(event.type === "typing" ? "is_typing" : "is_viewing")}`;
        box.hidden = false;
        clearTimeout(state.collisionTimer);
        state.collisionTimer = setTimeout(() => { box.hidden = true; }, 6000);
      }
      break;
    default: break;
  }
}

// ---------------------------------------------------------------- admin

async function openAdmin() {
  $("admin-error").textContent = "";
  const [teams, operators, lines] = await Promise.all([
    api("GET", "/teams"), api("GET", "/operators"), api("GET", "/lines"),
  ]);
  const teamName = (id) => teams.items.find((tm) => tm.id === id)?.name || t("no_team");
  fill($("admin-teams"), teams.items.map((tm) => el("li", {}, tm.name)));
  fill($("operator-team"), el("option", { value: "" }, t("no_team")),
    teams.items.map((tm) => el("option", { value: tm.id }, tm.name)));
  fill($("admin-operators"), operators.items.map((o) => el("li", { class: o.active ? "" : "muted" },
    el("b", {}, o.name), ` (${o.login}) · ${o.role} · ${o.teams.map(teamName).join(", ") || t("no_team")}`,
    o.active ? null : ` · ${t("inactive")}`,
    o.active && o.id !== state.me.id
      ? el("button", { class: "ghost small", onclick: () => adminCall("DELETE", `/operators/${o.id}`) }, t("deactivate"))
      : null)));
  fill($("admin-lines"), lines.items.map((v) => el("li", {},
    channelIcon(v.line.kind), " ", el("b", {}, v.line.name), " · ", t("team_of_line"), ": ",
    el("select", {
      "aria-label": "team", onchange: (e) => adminCall("PUT", `/lines/${v.line.id}/routing`,
        { ...v.line.routing, team_id: e.target.value || null }),
    }, el("option", { value: "" }, t("no_team")),
      teams.items.map((tm) => el("option", { value: tm.id, selected: tm.id === v.line.routing.team_id }, tm.name))))));
  $("admin").hidden = false;
}

async function adminCall(method, path, body) {
  try {
    await api(method, path, body);
    await openAdmin();
    state.directory = await api("GET", "/directory");
  } catch (e) {
    $("admin-error").textContent = e.message;
  }
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// ---------------------------------------------------------------- keyboard

function moveSelection(step) {
  if (!state.items.length) return;
  const index = state.items.findIndex((i) => i.conversation.id === state.current?.id);
  const next = state.items[Math.max(0, Math.min(state.items.length - 1, index + step))];
  if (next) openConversation(next.conversation.id);
}

function onKey(event) {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && document.activeElement === $("reply")) { onSend(); return; }
  if (event.key === "Escape") { document.activeElement?.blur(); $("help").hidden = true; $("admin").hidden = true; return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    j: () => moveSelection(1), k: () => moveSelection(-1), "/": () => $("search").focus(),
    r: () => { $("note-mode").checked = false; notePlaceholder(); $("reply").focus(); },
    n: () => { $("note-mode").checked = true; notePlaceholder(); $("reply").focus(); },
    e: () => state.current && act("resolve"), c: () => state.current && act("claim"),
    "?": () => { $("help").textContent = t("help"); $("help").hidden = !$("help").hidden; },
  };
  const action = actions[event.key];
  if (action) { event.preventDefault(); action(); }
}

function notePlaceholder() {
  const note = $("note-mode").checked;
  $("reply").placeholder = t(note ? "type_note" : "type_reply");
  $("composer").classList.toggle("noting", note);
}

// ---------------------------------------------------------------- wiring

function bind() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", async () => { await api("POST", "/auth/logout").catch(() => {}); state.current = null; showLogin(); });
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => selectTab(button.dataset.tab));
  let searchTimer;
  $("search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => loadList(), 300); });
  $("channel-filter").addEventListener("change", () => loadList());
  $("waiting-filter").addEventListener("change", () => loadList());
  $("assignee-filter").addEventListener("change", () => loadList());
  $("load-more").addEventListener("click", () => loadList(true));
  $("composer").addEventListener("submit", onSend);
  $("note-mode").addEventListener("change", notePlaceholder);
  $("file").addEventListener("change", () => { $("file-name").textContent = $("file").files[0]?.name || ""; });
  $("reply").addEventListener("input", () => {
    const now = Date.now();
    if (state.current && now - state.typingSentAt > 2500) { state.typingSentAt = now; sendWs({ type: "typing", conversation_id: state.current.id }); }
  });
  $("act-claim").addEventListener("click", () => act("claim"));
  $("act-resolve").addEventListener("click", () => act("resolve"));
  $("act-reopen").addEventListener("click", () => act("reopen"));
  $("act-transfer").addEventListener("change", (e) => {
    const [kind, id] = e.target.value.split(":");
    e.target.value = "";
    if (id) act("transfer", kind === "op" ? { to_operator: id } : { to_team: id });
  });
  $("act-snooze").addEventListener("change", (e) => {
    const minutes = Number(e.target.value);
    e.target.value = "";
    if (minutes) act("snooze", { until: new Date(Date.now() + minutes * 60000).toISOString() });
  });
  $("canned").addEventListener("change", async (e) => {
    const id = e.target.value;
    e.target.value = "";
    if (!id || !state.current) return;
    const out = await api("POST", `/conversations/${state.current.id}/canned/${id}`);
    $("reply").value = out.text;
    $("reply").focus();
  });
  $("presence").addEventListener("change", async (e) => {
    $("presence-dot").className = `dot ${e.target.value}`;
    await api("POST", "/me/presence", { status: e.target.value }).catch(() => {});
  });
  $("locale").addEventListener("change", async (e) => {
    const out = await api("PATCH", "/me", { locale: e.target.value });
    state.me = out.operator;
    setLocale(state.me.locale);
    renderList();
    renderCanned();
    liveState(state.ws?.readyState === WebSocket.OPEN);
    if (state.current) { renderHead(); renderMessages(false); renderContact(state.card); }
  });
  $("open-admin").addEventListener("click", () => openAdmin().catch((e) => { $("composer-error").textContent = e.message; }));
  $("close-admin").addEventListener("click", () => { $("admin").hidden = true; });
  $("team-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await adminCall("POST", "/teams", { name: formValues(e.target).name });
    e.target.reset();
  });
  $("operator-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(e.target);
    await adminCall("POST", "/operators", {
      login: v.login, name: v.name, password: v.password, role: v.role,
      teams: v.team ? [v.team] : [], locale: locale(),
    });
    e.target.reset();
  });
  document.addEventListener("keydown", onKey);
  setInterval(() => sendWs({ type: "heartbeat" }), 20000);
  setInterval(() => { if (state.items.length) renderList(); }, 60000); // waiting badges age
}

async function boot() {
  bind();
  setLocale(navigator.language?.slice(0, 2) || "en");
  $("presence-dot").className = "dot online";
  try { await start(await api("GET", "/me")); } catch { showLogin(); }
}

boot();
