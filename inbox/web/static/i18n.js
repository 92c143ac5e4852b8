// Interface strings in English, Ukrainian and Russian; the operator's locale picks one.
export const STRINGS = {
  en: {
    unsent: "Unsent by the customer (show)", sent_outside: "Sent from the Instagram app", days: "days",
    ig_window_open: "Instagram: you can reply for {left} more (24-hour window)",
    ig_window_human: "Instagram: 24-hour window closed; only a person may reply, with the Human Agent permission, for {left}",
    ig_window_closed: "Instagram: the reply window is closed until the customer writes again",
    line_warning: "Line warning",
    ig_comment_open: "Instagram comment: you can send one private reply, for {left}",
    ig_comment_used: "Instagram comment: the one private reply is used; the customer must write in Direct",
    app_title: "Inbox", login: "Login", password: "Password", sign_in: "Sign in",
    bad_login: "Wrong login or password", rate_limited: "Too many attempts, try later",
    online: "Online", away: "Away", offline: "Offline", logout: "Log out",
    tab_mine: "Mine", tab_unassigned: "Unassigned", tab_team: "Team", tab_all: "All",
    tab_resolved: "Resolved", search: "Search name, phone, email or text",
    all_channels: "All channels", any_wait: "Any wait", load_more: "Load more",
    pick_conversation: "Pick a conversation", claim: "Claim", transfer: "Transfer to…",
    snooze: "Snooze…", snooze_1h: "1 hour", snooze_4h: "4 hours", snooze_1d: "1 day",
    resolve: "Resolve", reopen: "Reopen", internal_note: "Internal note",
    canned: "Canned responses…", attach: "Attach", type_reply: "Type a reply (Ctrl+Enter sends)",
    type_note: "Internal note, only operators see it", send: "Send", unassigned: "Unassigned",
    status_open: "open", status_pending: "pending", status_snoozed: "snoozed",
    status_resolved: "resolved", is_typing: "is typing…", is_viewing: "is viewing this conversation",
    note: "Note", contact: "Contact", phones: "Phones", emails: "Emails", channels: "Channels",
    crm: "CRM", lead: "Lead", deal: "Deal", stage: "Stage", history: "History",
    no_crm: "No lead or deal yet", conversation: "Conversation", new_assigned: "New chat assigned",
    waiting: "waiting", min: "min", empty_list: "Nothing here", live: "live", offline_live: "reconnecting…",
    help: "Shortcuts: j/k next/previous · / search · r reply · n note · e resolve · c claim · Ctrl+Enter send · ? help",
    operators: "Operators", teams: "Teams", failed: "failed", sending: "sending",
    admin: "Admin", reports: "Reports", any_assignee: "Any assignee", close: "Close", add: "Add", name: "Name", lines: "Lines",
    no_team: "No team", deactivate: "Deactivate", inactive: "inactive", team_of_line: "Queue team",
    quoted_text: "Quoted text", show_original: "Show original", hide_original: "Hide original", load_images: "Load remote images", automatic: "automatic",
  },
  uk: {
    unsent: "Клієнт видалив повідомлення (показати)", sent_outside: "Надіслано із застосунку Instagram", days: "дн.",
    ig_window_open: "Instagram: відповісти можна ще {left} (24-годинне вікно)",
    ig_window_human: "Instagram: 24-годинне вікно закрито; відповісти може лише людина з дозволом Human Agent, ще {left}",
    ig_window_closed: "Instagram: вікно відповіді закрито, доки клієнт не напише знову",
    line_warning: "Попередження лінії",
    ig_comment_open: "Коментар в Instagram: можна надіслати одну приватну відповідь, ще {left}",
    ig_comment_used: "Коментар в Instagram: приватну відповідь використано; клієнт має написати в Direct",
    app_title: "Вхідні", login: "Логін", password: "Пароль", sign_in: "Увійти",
    bad_login: "Неправильний логін або пароль", rate_limited: "Забагато спроб, спробуйте пізніше",
    online: "Онлайн", away: "Відійшов", offline: "Офлайн", logout: "Вийти",
    tab_mine: "Мої", tab_unassigned: "Без оператора", tab_team: "Команда", tab_all: "Усі",
    tab_resolved: "Закриті", search: "Пошук: ім'я, телефон, email або текст",
    all_channels: "Усі канали", any_wait: "Будь-яке очікування", load_more: "Показати ще",
    pick_conversation: "Оберіть розмову", claim: "Взяти", transfer: "Передати…",
    snooze: "Відкласти…", snooze_1h: "1 година", snooze_4h: "4 години", snooze_1d: "1 день",
    resolve: "Закрити", reopen: "Відкрити знову", internal_note: "Внутрішня нотатка",
    canned: "Шаблони відповідей…", attach: "Файл", type_reply: "Введіть відповідь (Ctrl+Enter — надіслати)",
    type_note: "Нотатку бачать лише оператори", send: "Надіслати", unassigned: "Без оператора",
    status_open: "відкрита", status_pending: "очікує", status_snoozed: "відкладена",
    status_resolved: "закрита", is_typing: "друкує…", is_viewing: "переглядає цю розмову",
    note: "Нотатка", contact: "Контакт", phones: "Телефони", emails: "Email", channels: "Канали",
    crm: "CRM", lead: "Лід", deal: "Угода", stage: "Етап", history: "Історія",
    no_crm: "Ліда чи угоди ще немає", conversation: "Розмова", new_assigned: "Нова розмова для вас",
    waiting: "чекає", min: "хв", empty_list: "Тут порожньо", live: "наживо", offline_live: "перепідключення…",
    help: "Клавіші: j/k наступна/попередня · / пошук · r відповідь · n нотатка · e закрити · c взяти · Ctrl+Enter надіслати · ? довідка",
    operators: "Оператори", teams: "Команди", failed: "не доставлено", sending: "надсилається",
    admin: "Адміністрування", reports: "Звіти", any_assignee: "Будь-який виконавець", close: "Закрити", add: "Додати", name: "Ім'я", lines: "Лінії",
    no_team: "Без команди", deactivate: "Вимкнути", inactive: "вимкнений", team_of_line: "Команда черги",
    quoted_text: "Цитата", show_original: "Показати оригінал", hide_original: "Сховати оригінал", load_images: "Завантажити зображення", automatic: "автоматичне",
  },
  ru: {
    app_title: "Входящие", login: "Логин", password: "Пароль", sign_in: "Войти",
    bad_login: "Неверный логин или пароль", rate_limited: "Слишком много попыток, попробуйте позже",
    online: "Онлайн", away: "Отошёл", offline: "Офлайн", logout: "Выйти",
    tab_mine: "Мои", tab_unassigned: "Без оператора", tab_team: "Команда", tab_all: "Все",
    tab_resolved: "Закрытые", search: "Поиск: имя, телефон, email или текст",
    all_channels: "Все каналы", any_wait: "Любое ожидание", load_more: "Показать ещё",
    pick_conversation: "Выберите диалог", claim: "Взять", transfer: "Передать…",
    snooze: "Отложить…", snooze_1h: "1 час", snooze_4h: "4 часа", snooze_1d: "1 день",
    resolve: "Закрыть", reopen: "Открыть снова", internal_note: "Внутренняя заметка",
    canned: "Шаблоны ответов…", attach: "Файл", type_reply: "Введите ответ (Ctrl+Enter — отправить)",
    type_note: "Заметку видят только операторы", send: "Отправить", unassigned: "Без оператора",
    status_open: "открыт", status_pending: "ожидает", status_snoozed: "отложен",
    status_resolved: "закрыт", is_typing: "печатает…", is_viewing: "смотрит этот диалог",
    note: "Заметка", contact: "Контакт", phones: "Телефоны", emails: "Email", channels: "Каналы",
    crm: "CRM", lead: "Лид", deal: "Сделка", stage: "Этап", history: "История",
    no_crm: "Лида или сделки пока нет", conversation: "Диалог", new_assigned: "Новый диалог для вас",
    waiting: "ждёт", min: "мин", empty_list: "Здесь пусто", live: "онлайн", offline_live: "переподключение…",
    help: "Клавиши: j/k следующий/предыдущий · / поиск · r ответ · n заметка · e закрыть · c взять · Ctrl+Enter отправить · ? справка",
    operators: "Операторы", teams: "Команды", failed: "не доставлено", sending: "отправляется",
    admin: "Администрирование", reports: "Отчёты", any_assignee: "Любой исполнитель", close: "Закрыть", add: "Добавить", name: "Имя", lines: "Линии",
    no_team: "Без команды", deactivate: "Отключить", inactive: "отключён", team_of_line: "Команда очереди",
    quoted_text: "Цитата", show_original: "Показать оригинал", hide_original: "Скрыть оригинал", load_images: "Загрузить изображения", automatic: "автоматическое",
  },
};

let current = "en";

export function setLocale(locale) {
  current = STRINGS[locale] ? locale : "en";
  document.documentElement.lang = current;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.title = t("app_title");
}

export function t(key) {
  return STRINGS[current][key] ?? STRINGS.en[key] ?? key;
}

export function locale() {
  return current;
}
