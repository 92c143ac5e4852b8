// The managers' page: the live board (reloaded on every live event) and reports over a
// period, with CSV exports of exactly the tables shown. Strings in en/uk/ru.
const STRINGS = {
  en: {
    title: "Reports", back: "Back to the inbox", live_now: "Live now", waiting: "Waiting",
    longest_wait: "Longest wait", unassigned: "Unassigned", open: "Open", operator: "Operator",
    presence: "Status", load: "Load", conversation: "Conversation", metric: "Metric",
    time_left: "Time left", period_report: "Report", since: "From", until: "To", hours: "Hours",
    calendar: "Calendar", business: "Business hours", show: "Show", conversations: "Conversations",
    resolved: "Resolved", missed: "Missed", reopened: "Reopened", to_leads: "With a lead",
    to_deals: "With a deal", count: "Count", avg: "Average", per_operator: "Per operator",
    replies: "Replies", never_replied: "Never replied", after_assignment: "After assignment p50",
    handle: "Handle time", csv_metrics: "metrics", csv_operators: "operators",
    csv_conversations: "one row per conversation", how: "How each number is computed: docs/reports.md",
    denied: "Reports are for managers and admins.", heatmap: "Conversations by weekday and hour",
    csv_heatmap: "weekday and hour", days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], overdue: "overdue by",
    first_response: "First response", next_response: "Next response",
    reopen_first_response: "First response after reopening", resolution: "Resolution",
    queue_wait: "Queue wait", online: "online", away: "away", offline: "offline",
    live: "live", offline_live: "reconnecting…",
  },
  uk: {
    title: "Звіти", back: "До скриньки", live_now: "Зараз", waiting: "Чекають",
    longest_wait: "Найдовше очікування", unassigned: "Без виконавця", open: "Відкриті",
    operator: "Оператор", presence: "Статус", load: "Навантаження", conversation: "Розмова",
    metric: "Показник", time_left: "Залишилось", period_report: "Звіт", since: "З", until: "По",
    hours: "Години", calendar: "Календарні", business: "Робочі", show: "Показати",
    conversations: "Розмови", resolved: "Вирішені", missed: "Пропущені", reopened: "Повторно відкриті",
    to_leads: "З лідом", to_deals: "З угодою", count: "Кількість", avg: "Середнє",
    per_operator: "За операторами", replies: "Відповіді", never_replied: "Не відповіли",
    after_assignment: "Після призначення p50", handle: "Час роботи", csv_metrics: "показники",
    csv_operators: "оператори", csv_conversations: "рядок на розмову",
    how: "Як рахується кожне число: docs/reports.md", heatmap: "Розмови за днями тижня й годинами",
    csv_heatmap: "дні й години", days: ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд"], denied: "Звіти доступні менеджерам і адміністраторам.",
    overdue: "прострочено на", first_response: "Перша відповідь", next_response: "Наступна відповідь",
    reopen_first_response: "Перша відповідь після відкриття", resolution: "Вирішення",
    queue_wait: "Очікування в черзі", online: "онлайн", away: "відійшов", offline: "офлайн",
    live: "наживо", offline_live: "перепідключення…",
  },
  ru: {
    title: "Отчёты", back: "К входящим", live_now: "Сейчас", waiting: "Ждут",
    longest_wait: "Дольше всех ждёт", unassigned: "Без исполнителя", open: "Открытые",
    operator: "Оператор", presence: "Статус", load: "Нагрузка", conversation: "Диалог",
    metric: "Показатель", time_left: "Осталось", period_report: "Отчёт", since: "С", until: "По",
    hours: "Часы", calendar: "Календарные", business: "Рабочие", show: "Показать",
    conversations: "Диалоги", resolved: "Решённые", missed: "Пропущенные", reopened: "Переоткрытые",
    to_leads: "С лидом", to_deals: "Со сделкой", count: "Количество", avg: "Среднее",
    per_operator: "По операторам", replies: "Ответы", never_replied: "Не ответили",
    after_assignment: "После назначения p50", handle: "Время работы", csv_metrics: "показатели",
    csv_operators: "операторы", csv_conversations: "строка на диалог",
    how: "Как считается каждое число: docs/reports.md", heatmap: "Диалоги по дням недели и часам",
    csv_heatmap: "дни и часы", days: ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"], denied: "Отчёты доступны менеджерам и администраторам.",
    overdue: "просрочено на", first_response: "Первый ответ", next_response: "Следующий ответ",
    reopen_first_response: "Первый ответ после переоткрытия", resolution: "Решение",
    queue_wait: "Ожидание в очереди", online: "онлайн", away: "отошёл", offline: "офлайн",
    live: "онлайн", offline_live: "переподключение…",
  },
};
let lang = "en";
const tr = (key) => (STRINGS[lang] || STRINGS.en)[key] ?? STRINGS.en[key] ?? key;
const $ = (id) => document.getElementById(id);

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const text = h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
  return seconds < 0 ? `${tr("overdue")} ${text}` : text;
}

async function api(path) {
  const resp = await fetch(path, { credentials: "same-origin" });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(body?.error?.message || `HTTP ${resp.status}`);
  return body;
}

function translate() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-r]")) node.textContent = tr(node.dataset.r);
}

function renderHeatmap(cells) {
  const counts = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c.conversations]));
  const most = Math.max(1, ...cells.map((c) => c.conversations));
  const body = $("r-heatmap").tBodies[0];
  body.replaceChildren();
  const head = document.createElement("tr");
  cell(head, "");
  for (let h = 0; h < 24; h += 1) cell(head, String(h), "r-heat-hour");
  body.appendChild(head);
  for (let w = 1; w <= 7; w += 1) {
    const row = document.createElement("tr");
    cell(row, tr("days")[w - 1]);
    for (let h = 0; h < 24; h += 1) {
      const n = counts.get(`${w}:${h}`) || 0;
      const td = cell(row, n ? String(n) : "", "r-heat-cell");
      td.style.backgroundColor = `rgba(37, 99, 235, ${n ? 0.15 + 0.85 * (n / most) : 0})`;
    }
    body.appendChild(row);
  }
}

async function loadLive() {
  const board = await api("/api/v1/reports/live");
  $("r-waiting").textContent = board.waiting;
  $("r-longest").textContent = duration(board.longest_wait_s);
  $("r-unassigned").textContent = board.unassigned;
  $("r-open").textContent = board.open;
  const ops = $("r-operators-live").tBodies[0];
  ops.replaceChildren();
  for (const o of board.operators) {
    const tr_ = document.createElement("tr");
    cell(tr_, o.name);
    cell(tr_, tr(o.presence));
    cell(tr_, `${o.open} / ${o.capacity}`, "num");
    ops.appendChild(tr_);
  }
  const risk = $("r-risk").tBodies[0];
  risk.replaceChildren();
  for (const r of board.at_risk) {
    const tr_ = document.createElement("tr");
    tr_.className = `r-risk-${r.level}`;
    cell(tr_, r.conversation_id);
    cell(tr_, tr(r.metric));
    cell(tr_, duration(r.left_s), "num");
    risk.appendChild(tr_);
  }
}

function query() {
  const since = new Date(`${$("r-since").value}T00:00:00`);
  const until = new Date(`${$("r-until").value}T00:00:00`);
  until.setDate(until.getDate() + 1);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return new URLSearchParams({ since: since.toISOString(), until: until.toISOString(), tz });
}

async function loadReport() {
  $("r-error").textContent = "";
  const q = query();
  const body = await api(`/api/v1/reports/metrics?${q}`);
  for (const [id, key] of [["r-conversations", "conversations"], ["r-resolved", "resolved"],
    ["r-missed", "missed"], ["r-reopened", "reopened"], ["r-leads", "with_lead"], ["r-deals", "with_deal"]]) {
    $(id).textContent = body[key];
  }
  const hours = $("r-hours").value;
  const metrics = $("r-metrics").tBodies[0];
  metrics.replaceChildren();
  const widest = Math.max(1, ...Object.values(body.metrics).map((m) => m[hours].p95 || 0));
  for (const [name, timed] of Object.entries(body.metrics)) {
    const s = timed[hours];
    const row = document.createElement("tr");
    cell(row, tr(name));
    cell(row, s.count, "num");
    for (const k of ["avg", "p50", "p90", "p95"]) cell(row, duration(s[k]), "num");
    const bar = document.createElement("span");
    bar.className = "r-bar";
    bar.style.width = `${Math.round(((s.p90 || 0) / widest) * 120)}px`;
    cell(row, "").appendChild(bar);
    metrics.appendChild(row);
  }
  const ops = $("r-operators").tBodies[0];
  ops.replaceChildren();
  for (const o of body.operators) {
    const row = document.createElement("tr");
    cell(row, o.name || o.operator_id);
    cell(row, o.conversations, "num");
    cell(row, o.replies, "num");
    cell(row, o.never_replied, "num");
    cell(row, duration(o.after_assignment[hours].p50), "num");
    cell(row, duration(o.after_assignment[hours].p90), "num");
    cell(row, duration(o.handle_s), "num");
    ops.appendChild(row);
  }
  renderHeatmap(body.heatmap);
  $("csv-heatmap").href = `/api/v1/reports/heatmap.csv?${q}`;
  $("csv-metrics").href = `/api/v1/reports/metrics.csv?${q}`;
  $("csv-operators").href = `/api/v1/reports/operators.csv?${q}`;
  $("csv-conversations").href = `/api/v1/reports/conversations.csv?${q}`;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws`);
  let pending = null;
  ws.onopen = () => { $("r-live-state").textContent = tr("live"); };
  ws.onmessage = () => {  // any event in the manager's audience: reload the board, at most 1/s
    if (pending) return;
    pending = setTimeout(() => { pending = null; loadLive().catch(() => {}); }, 1000);
  };
  ws.onclose = () => { $("r-live-state").textContent = tr("offline_live"); setTimeout(connect, 3000); };
}

async function start() {
  let me;
  try {
    me = await api("/api/v1/me");
  } catch {
    location.href = "/";
    return;
  }
  lang = STRINGS[me.operator?.locale ?? me.locale] ? (me.operator?.locale ?? me.locale) : "en";
  translate();
  const role = me.operator?.role ?? me.role;
  if (role !== "manager" && role !== "admin") { $("r-denied").hidden = false; return; }
  $("reports-view").hidden = false;
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  $("r-since").value = iso(weekAgo);
  $("r-until").value = iso(today);
  $("r-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    loadReport().catch((err) => { $("r-error").textContent = err.message; });
  });
  $("r-hours").addEventListener("change", () => loadReport().catch((err) => { $("r-error").textContent = err.message; }));
  await Promise.all([loadLive(), loadReport()]);
  connect();
}

start().catch((err) => { $("r-error").textContent = err.message; });
