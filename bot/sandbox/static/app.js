// The sandbox web chat: pick a demo person, chat with the bot through the fake Telegram or the fake Zalo;
// or open a demo group and speak there as any of its members, the others' words shown beside the bot's.
// A bot per province: each person talks to their province's Telegram bot (its name in the header, beside the
// person in the list); a newcomer picks the bot they write to.
// Plain JavaScript, no build step, no network beyond this server.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const els = {
    app: $("app"),
    personas: $("personas"),
    newPersona: $("new-persona"),
    messages: $("messages"),
    empty: $("empty"),
    input: $("chat-input"),
    send: $("chat-send"),
    composer: $("composer"),
    photo: $("photo-input"),
    botName: $("bot-name"),
    status: $("chat-status"),
    asPersona: $("as-persona"),
    openDashboard: $("open-dashboard"),
    notice: $("notice"),
    connection: $("connection"),
    replyKeyboard: $("reply-keyboard"),
    menuButton: $("menu-button"),
    menuPanel: $("menu-panel"),
    openSidebar: $("open-sidebar"),
    scrim: $("scrim"),
    sayStart: $("say-start"),
    channelSwitch: $("channel-switch"),
    botPicker: $("bot-picker"),
    botChoice: $("bot-choice"),
    groupList: $("group-list"),
    groups: $("groups"),
    groupBar: $("group-bar"),
    speaker: $("speaker"),
    mentionBot: $("mention-bot"),
    replyBar: $("reply-bar"),
    replyBarLabel: $("reply-bar-label"),
    replyBarQuote: $("reply-bar-quote"),
    replyCancel: $("reply-cancel"),
  };

  const TEXT_LIMITS = { telegram: 4096, zalo: 2000 };
  function savedChannel() {
    try {
      return localStorage.getItem("bdhvs-sandbox-channel") === "zalo" ? "zalo" : "telegram";
    } catch (_) {
      return "telegram";
    }
  }

  const state = {
    bot: { username: "", first_name: "bdhvs-bot", channels: ["telegram"], bots: [] },
    channel: "telegram", // telegram | zalo: the messenger the page chats through
    personas: [],
    current: null, // the person speaking: in a private chat, its owner; in a group, the chosen member
    groups: [],
    chosen: false, // the visitor picked a person or a group themselves (the page never overrides that)
    group: null, // the open group, or null for a private chat
    replyTo: null, // { message_id, name, text, auto } the message the next one answers (in a group)
    version: -1,
    pollToken: 0,
    abort: null,
    rendered: new Map(), // message_id -> { key, el }
    seenNotices: new Set(),
    firstRender: true,
    typingTimer: null,
    pressTimer: null,
    noticeTimer: null,
    commands: [],
  };

  // ------------------------------------------------------------------ helpers

  async function api(path, options) {
    const response = await fetch(path, options);
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      throw new Error((body && body.error) || `HTTP ${response.status}`);
    }
    return body;
  }

  const postJSON = (path, data) =>
    api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // Vietnamese names often start with a form of address ("Chị Mai"); the initials skip it.
  const HONORIFICS = new Set(["anh", "chị", "em", "bác", "ông", "bà", "cô", "chú", "thầy", "dì", "cậu", "mợ"]);

  function initials(name) {
    let words = String(name || "?").trim().split(/\s+/);
    if (words.length > 1 && HONORIFICS.has(words[0].toLowerCase())) words = words.slice(1);
    const first = words[0] ? words[0][0] : "?";
    const last = words.length > 1 ? words[words.length - 1][0] : "";
    return (first + last).toUpperCase();
  }

  function tone(text) {
    let hash = 0;
    for (const ch of String(text || "")) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `tone-${hash % 6}`;
  }

  const pad = (n) => String(n).padStart(2, "0");
  const timeOf = (date) => {
    const d = new Date(date * 1000);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  function dayOf(date) {
    const d = new Date(date * 1000);
    const today = new Date();
    const yesterday = new Date(Date.now() - 86400000);
    const same = (a, b) => a.toDateString() === b.toDateString();
    if (same(d, today)) return "Hôm nay";
    if (same(d, yesterday)) return "Hôm qua";
    return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
  }

  function fileSize(bytes) {
    if (!bytes) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(".", ",")} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
  }

  function safeUrl(url) {
    let value = String(url || "");
    if (/^www\./i.test(value) || /^t\.me\//i.test(value)) value = `https://${value}`;
    return /^(https?:|tg:)/i.test(value) ? value : null;
  }

  // ------------------------------------------------------------------ rich text (Telegram entities)

  // Entities use UTF-16 offsets, exactly like JavaScript string indexes.
  function renderRich(text, entities) {
    const sorted = (entities || [])
      .filter((e) => e.length > 0)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    return build(text || "", 0, (text || "").length, sorted);
  }

  function build(text, start, end, entities) {
    const fragment = document.createDocumentFragment();
    let pos = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      const entityEnd = Math.min(entity.offset + entity.length, end);
      if (entity.offset < pos || entity.offset >= end) {
        i += 1;
        continue;
      }
      if (entity.offset > pos) fragment.append(text.slice(pos, entity.offset));
      let j = i + 1;
      while (j < entities.length && entities[j].offset < entityEnd) j += 1;
      const node = entityNode(entity, text.slice(entity.offset, entityEnd));
      const inner = build(text, entity.offset, entityEnd, entities.slice(i + 1, j));
      (node.querySelector("code") || node).append(inner);
      fragment.append(node);
      pos = entityEnd;
      i = j;
    }
    if (pos < end) fragment.append(text.slice(pos, end));
    return fragment;
  }

  function entityNode(entity, content) {
    switch (entity.type) {
      case "bold":
        return el("strong");
      case "italic":
        return el("em");
      case "underline":
        return el("u");
      case "strikethrough":
        return el("s");
      case "code":
        return el("code");
      case "pre":
        return el("pre", {}, el("code", { "data-language": entity.language || null }));
      case "blockquote":
      case "expandable_blockquote":
        return el("blockquote");
      case "spoiler":
        return el("span", { class: "spoiler", title: "Bấm để xem", onclick: (e) => e.currentTarget.classList.add("shown") });
      case "text_link":
      case "url": {
        const href = safeUrl(entity.type === "url" ? content : entity.url);
        if (!href) return el("span");
        // A link to one of the sandbox's bots (t.me/<its name>?start=<code>) opens the newcomer's chat with it.
        const link = botLink(href);
        const onclick = link ? (event) => { if (openBotLink(link)) event.preventDefault(); } : null;
        return el("a", { href, target: "_blank", rel: "noopener noreferrer", onclick });
      }
      case "bot_command":
        return el("span", {
          class: "cmd",
          role: "link",
          tabindex: "0",
          title: "Bấm để gửi lệnh",
          onclick: () => sendText(commandText(content.split("@")[0].slice(1))),
        });
      default:
        return el("span", { class: `entity-${entity.type}` });
    }
  }

  // ------------------------------------------------------------------ the leaders' page

  // A one-time sign-in link for the person chosen, made on click, opened in a new tab (opened first, so no
  // pop-up blocker stops it, then sent to the link once the server has made it).
  async function openDashboard() {
    if (!state.current) return;
    const tab = window.open("", "_blank");
    try {
      const { url } = await postJSON("/sandbox/api/dashboard", { user_id: state.current.user_id });
      if (tab) tab.location.href = url;
      else window.location.href = url;
    } catch (error) {
      if (tab) tab.close();
      window.alert(`Chưa mở được bảng theo dõi: ${error.message || error}`);
    }
  }

  // ------------------------------------------------------------------ bots

  const severalBots = () => (state.bot.bots || []).length > 1;

  // A Telegram bot of the page by key (a person's, a group's); the first one when the key names none.
  function botOf(key) {
    const bots = state.bot.bots || [];
    return bots.find((b) => b.key === key) || bots[0] || { key: "", username: state.bot.username, first_name: state.bot.first_name, label: "" };
  }

  // The Telegram bot the open chat is with: the group's, else the person's.
  function currentBot() {
    if (state.group) return botOf(state.group.bot);
    return botOf(state.current ? state.current.bot : null);
  }

  // ------------------------------------------------------------------ personas

  function personaButton(person) {
    const role = person.area ? [el("b", { text: person.role || "" }), ` · ${person.area}`] : [person.role || ""];
    const bot = severalBots() ? botOf(person.bot) : null;
    return el(
      "button",
      {
        type: "button",
        class: "persona",
        "data-testid": `persona-${person.user_id}`,
        "data-user-id": String(person.user_id),
        "aria-current": !state.group && state.current && state.current.user_id === person.user_id ? "true" : "false",
        title: `${person.name} — ${person.role || ""}${person.area ? `, ${person.area}` : ""}`,
        onclick: () => {
          state.chosen = true;
          selectPersona(person.user_id);
        },
      },
      el("span", { class: `avatar ${person.is_new ? "avatar-new" : tone(person.role)}`, "aria-hidden": "true", text: person.is_new ? "+" : initials(person.name) }),
      el(
        "span",
        { class: "persona-text" },
        el("span", { class: "persona-name", text: person.name }),
        el("span", { class: "persona-role" }, ...role),
        bot ? el("span", { class: "persona-bot", "data-testid": `persona-bot-${person.user_id}`, title: `Nhắn với ${bot.first_name} (@${bot.username})`, text: bot.label }) : null
      )
    );
  }

  // A list of buttons is brought up to date in place: a button showing the same thing stays the same element (only
  // its "current" mark changes), so one under the visitor's pointer is never swapped between the press and the
  // release of a click (the click would be lost, and the page would go on as somebody else).
  function patchButtons(container, fresh) {
    const old = new Map([...container.children].map((child) => [child.dataset.testid, child]));
    const kept = fresh.map((button) => {
      const same = old.get(button.dataset.testid);
      if (!same || same.title !== button.title || same.innerHTML !== button.innerHTML) return button;
      same.setAttribute("aria-current", button.getAttribute("aria-current"));
      return same;
    });
    const unchanged = kept.length === container.children.length && kept.every((b, i) => container.children[i] === b);
    if (!unchanged) container.replaceChildren(...kept);
  }

  function renderPersonas() {
    patchButtons(els.personas, state.personas.map(personaButton));
  }

  async function loadPersonas() {
    state.personas = await api("/sandbox/api/personas");
    renderPersonas();
  }

  // ------------------------------------------------------------------ groups

  function groupButton(group) {
    const names = (group.people || []).map((p) => p.name).join(", ");
    return el(
      "button",
      {
        type: "button",
        class: "persona",
        "data-testid": `group-${group.key}`,
        "aria-current": state.group && state.group.key === group.key ? "true" : "false",
        title: `${group.title} — ${names}`,
        onclick: () => {
          state.chosen = true;
          selectGroup(group.key);
        },
      },
      el("span", { class: "avatar avatar-group", "aria-hidden": "true", text: group.kind === "commune" ? "Xã" : "Thôn" }),
      el(
        "span",
        { class: "persona-text" },
        el("span", { class: "persona-name", text: group.title }),
        el("span", { class: "persona-role" }, el("b", { text: group.kind === "commune" ? "Nhóm xã" : "Nhóm thôn" }), ` · ${(group.people || []).length} người và bot`)
      )
    );
  }

  function renderGroups() {
    els.groupList.hidden = state.groups.length === 0;
    patchButtons(els.groups, state.groups.map(groupButton));
  }

  async function loadGroups() {
    try {
      state.groups = await api("/sandbox/api/groups");
    } catch (_) {
      state.groups = [];
    }
    renderGroups();
  }

  function savedSpeaker(group) {
    try {
      const saved = Number(localStorage.getItem(`bdhvs-sandbox-speaker-${group.key}`));
      if ((group.people || []).some((p) => p.user_id === saved)) return saved;
    } catch (_) {
      /* private mode */
    }
    return group.people && group.people.length ? group.people[0].user_id : null;
  }

  function selectGroup(key) {
    const group = state.groups.find((g) => g.key === key);
    if (!group || !group.people || !group.people.length) return;
    state.group = group;
    try {
      localStorage.setItem("bdhvs-sandbox-group", key);
    } catch (_) {
      /* private mode */
    }
    els.speaker.replaceChildren(
      ...group.people.map((p) => el("option", { value: String(p.user_id), text: `${p.name} · ${p.role}` }))
    );
    setSpeaker(savedSpeaker(group), false);
    renderPersonas();
    renderGroups();
    showGroupControls();
    els.app.classList.remove("sidebar-open");
    resetChat();
    startPolling();
    els.input.focus({ preventScroll: true });
  }

  function setSpeaker(userId, restart) {
    const person = state.personas.find((p) => p.user_id === userId) || state.group.people.find((p) => p.user_id === userId);
    if (!person) return;
    state.current = person;
    els.speaker.value = String(userId);
    try {
      localStorage.setItem(`bdhvs-sandbox-speaker-${state.group.key}`, String(userId));
    } catch (_) {
      /* private mode */
    }
    els.asPersona.replaceChildren(
      el("span", { class: "as-label", text: "Bạn nói là: " }),
      el("span", { class: "as-name", text: person.name }),
      person.role ? el("span", { class: "as-role", text: ` · ${person.role}` }) : null
    );
    if (restart) {
      resetChat();
      startPolling();
    }
  }

  // The header and composer of a group: its title, who speaks, the mention chip; none of it in a private chat.
  function showGroupControls() {
    const group = state.group;
    els.groupBar.hidden = !group;
    // The leaders' page of the person chosen (not of a group, nor of a newcomer who has not joined yet).
    els.openDashboard.hidden = Boolean(group) || !state.current || Boolean(state.current.is_new);
    showBot();
    setReplyTo(null);
  }

  // The header names the chat: a group's title, else the bot this person talks to on this messenger; a newcomer
  // on Telegram picks which of the bots (a province's own, or the country's) they write to.
  function showBot() {
    const group = state.group;
    const telegram = state.channel === "telegram";
    const bot = currentBot();
    if (group) els.botName.textContent = group.title;
    else if (!telegram) els.botName.textContent = state.bot.zalo_name || state.bot.first_name || "bdhvs-bot";
    else els.botName.textContent = bot.first_name || "bdhvs-bot";
    els.app.dataset.bot = telegram ? bot.key : "";
    const choose = !group && telegram && severalBots() && Boolean(state.current && state.current.is_new);
    els.botPicker.hidden = !choose;
    if (choose) {
      els.botChoice.replaceChildren(
        ...state.bot.bots.map((b) => el("option", { value: b.key, text: b.label, title: `@${b.username} · ${b.serves}` }))
      );
      els.botChoice.value = bot.key;
    }
  }

  // t.me/<name>?start=<code> of one of the page's bots: { key, start }, else null.
  function botLink(href) {
    const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\/?(?:\?start=([A-Za-z0-9_-]+))?$/.exec(href);
    if (!match || !severalBots()) return null;
    const bot = state.bot.bots.find((b) => b.username.toLowerCase() === match[1].toLowerCase());
    return bot ? { key: bot.key, start: match[2] || "" } : null;
  }

  // A newcomer follows a bot's link: their chat with that bot opens and the link's /start is sent, as Telegram
  // does; true when so (anyone else's link opens as a link).
  function openBotLink(link) {
    if (!state.current || !state.current.is_new || state.group || state.channel !== "telegram") return false;
    chooseBot(link.key);
    sendText(link.start ? `/start ${link.start}` : "/start");
    return true;
  }

  // A newcomer writes to another bot: their chat with it (a chat of its own) is shown.
  function chooseBot(key) {
    if (!state.current || !state.current.is_new || state.group) return;
    state.current.bot = key;
    renderPersonas();
    showBot();
    resetChat();
    startPolling();
    els.input.focus({ preventScroll: true });
  }

  function mentionText() {
    return state.channel === "zalo" ? `@${state.bot.zalo_name || state.bot.first_name} ` : `@${currentBot().username} `;
  }

  function insertMention() {
    const mention = mentionText();
    if (!els.input.value.startsWith(mention.trim())) els.input.value = mention + els.input.value.replace(/^\s+/, "");
    autoGrow();
    updateSendButton();
    els.input.focus({ preventScroll: true });
    els.input.setSelectionRange(els.input.value.length, els.input.value.length);
  }

  function setReplyTo(reply) {
    state.replyTo = reply;
    els.replyBar.hidden = !reply;
    if (!reply) return;
    els.replyBarLabel.textContent = reply.auto ? `Trả lời ${reply.name} (bot đang chờ bạn trả lời)` : `Trả lời ${reply.name}`;
    els.replyBarQuote.textContent = reply.text || "…";
    els.replyCancel.hidden = Boolean(reply.auto);
  }

  function chatQuery() {
    const base = `user_id=${state.current.user_id}&version=${state.version}&channel=${state.channel}`;
    if (state.group) return `${base}&group=${encodeURIComponent(state.group.key)}`;
    const bot = privateBot();
    return bot ? `${base}&bot=${encodeURIComponent(bot)}` : base;
  }

  // The bot a private Telegram chat's requests name (the person's own, or the one a newcomer picked).
  function privateBot() {
    if (state.group || state.channel !== "telegram" || !state.current) return null;
    return state.current.bot || null;
  }

  function selectPersona(userId) {
    const person = state.personas.find((p) => p.user_id === userId);
    if (!person) return;
    state.current = person;
    state.group = null;
    try {
      localStorage.setItem("bdhvs-sandbox-persona", String(userId));
      localStorage.removeItem("bdhvs-sandbox-group");
    } catch (_) {
      /* private mode */
    }
    renderPersonas();
    renderGroups();
    showGroupControls();
    els.asPersona.replaceChildren(
      el("span", { class: "as-label", text: "Bạn là: " }),
      el("span", { class: "as-name", text: person.name }),
      person.role ? el("span", { class: "as-role", text: ` · ${person.role}` }) : null
    );
    els.asPersona.title = `${person.name} — ${person.role || ""}${person.area ? `, ${person.area}` : ""}`;
    els.app.classList.remove("sidebar-open");
    resetChat();
    startPolling();
    els.input.focus({ preventScroll: true });
  }

  function resetChat() {
    state.version = -1;
    state.rendered.clear();
    state.seenNotices.clear();
    state.firstRender = true;
    state.commands = [];
    els.messages.replaceChildren(els.empty);
    els.empty.hidden = true;
    els.replyKeyboard.hidden = true;
    els.menuPanel.hidden = true;
    els.menuButton.hidden = true;
    hideNotice();
    setTyping(false);
  }

  // ------------------------------------------------------------------ long polling

  function startPolling() {
    state.pollToken += 1;
    if (state.abort) state.abort.abort();
    pollLoop(state.pollToken);
  }

  async function pollLoop(token) {
    let failures = 0;
    while (token === state.pollToken) {
      const controller = new AbortController();
      state.abort = controller;
      try {
        const channel = state.channel;
        const data = await api(`/sandbox/api/chat?${chatQuery()}`, { signal: controller.signal });
        if (token !== state.pollToken || (data.channel && data.channel !== channel)) return;
        failures = 0;
        els.connection.hidden = true;
        renderChat(data);
      } catch (error) {
        if (token !== state.pollToken) return;
        failures += 1;
        if (failures > 1) els.connection.hidden = false;
        await delay(Math.min(5000, 400 * failures));
      }
    }
  }

  // ------------------------------------------------------------------ rendering the chat

  function nearBottom() {
    const m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 120;
  }

  function scrollToBottom() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function renderChat(data) {
    const stick = state.firstRender || nearBottom();
    const hadCount = state.rendered.size;
    state.version = data.version;

    const nodes = [];
    const keep = new Map();
    let lastDay = null;
    for (const message of data.messages) {
      const day = dayOf(message.date);
      if (day !== lastDay) {
        nodes.push(el("div", { class: "day", text: day }));
        lastDay = day;
      }
      const key = JSON.stringify(message) + (state.group ? `|${state.current.user_id}` : "");
      const old = state.rendered.get(message.message_id);
      const node = old && old.key === key ? old.el : message.service ? serviceNode(message) : messageNode(message);
      keep.set(message.message_id, { key, el: node });
      nodes.push(node);
    }
    state.rendered = keep;
    clearPressed();

    const typing = Boolean(data.typing);
    setTyping(typing);
    if (typing) nodes.push(typingNode());

    els.empty.hidden = data.messages.length > 0;
    // the spacer keeps a short conversation at the bottom, next to the input, as in a messenger
    const spacer = data.messages.length ? el("div", { class: "spacer", "aria-hidden": "true" }) : null;
    els.messages.replaceChildren(els.empty, ...(spacer ? [spacer] : []), ...nodes);

    renderReplyKeyboard(data.reply_keyboard);
    renderCommands(data.commands || []);
    renderNotices(data.notices || []);
    renderForceReply(data);

    const last = data.messages.length ? data.messages[data.messages.length - 1] : null;
    const lastIsMine = last && last.sender === "user" && isMine(last);
    if (stick || (lastIsMine && keep.size > hadCount)) scrollToBottom();
    state.firstRender = false;
  }

  function isMine(message) {
    if (message.sender !== "user") return false;
    return !state.group || (message.from && message.from.user_id === state.current.user_id);
  }

  function serviceNode(message) {
    return el("div", { class: "service", "data-testid": "service-message", text: message.service });
  }

  // A Telegram ForceReply meant for the speaker: their app answers that message by itself.
  function renderForceReply(data) {
    const wanted = data.force_reply_to;
    if (!wanted) {
      if (state.replyTo && state.replyTo.auto) setReplyTo(null);
      return;
    }
    if (state.replyTo && !state.replyTo.auto) return;
    const asked = data.messages.find((m) => m.message_id === wanted);
    setReplyTo({ message_id: wanted, name: "bot", text: asked ? asked.text || asked.caption : "", auto: true });
  }

  function messageNode(message) {
    const mine = isMine(message);
    const person = message.sender === "user";
    const bubbleParts = [];
    if (state.group && !mine) {
      const name = person ? (message.from && message.from.name) || "?" : state.bot.first_name || "bot";
      bubbleParts.push(el("span", { class: "sender-name", "data-testid": "sender-name", text: name }));
    }
    if (state.group && message.reply_to) {
      bubbleParts.push(
        el("div", { class: "quote", "data-testid": "message-quote" }, el("b", { text: message.reply_to.name }), message.reply_to.text || "…")
      );
    }
    let photoOnly = false;
    if (message.photo) {
      const img = el("img", {
        class: "photo",
        src: message.photo.url,
        alt: message.caption || "Ảnh",
        loading: "lazy",
        width: message.photo.width > 1 ? String(message.photo.width) : null,
        height: message.photo.height > 1 ? String(message.photo.height) : null,
        "data-testid": "message-photo",
      });
      img.addEventListener("load", () => {
        if (nearBottom()) scrollToBottom();
      });
      bubbleParts.push(img);
      photoOnly = true;
    }
    if (message.document) {
      const doc = message.document;
      bubbleParts.push(
        el(
          "a",
          { class: "document", href: doc.url, download: doc.file_name, "data-testid": "message-document" },
          el("span", { class: "document-icon", "aria-hidden": "true" }, documentIcon()),
          el("span", {}, el("div", { class: "document-name", text: doc.file_name }), el("div", { class: "document-size", text: fileSize(doc.file_size) }))
        )
      );
    }
    if (message.text) bubbleParts.push(el("div", { class: "text", "data-testid": "message-text" }, renderRich(message.text, message.entities)));
    if (message.caption) bubbleParts.push(el("div", { class: "caption" }, renderRich(message.caption, message.caption_entities)));
    bubbleParts.push(
      el(
        "div",
        { class: "meta" },
        message.edited ? el("span", { class: "edited", text: "đã sửa" }) : null,
        el("time", { text: timeOf(message.date) })
      )
    );
    if (state.group && person && message.delivered === false) {
      bubbleParts.push(el("span", { class: "unseen-mark", "data-testid": "unseen-mark", text: "Bot không nhận tin này (không gọi tên, không trả lời bot)" }));
    }

    const row = el(
      "div",
      {
        class: `row ${mine ? "user" : person ? "other" : "bot"}`,
        "data-testid": person ? "user-message" : "bot-message",
        "data-message-id": String(message.message_id),
        "data-edited": message.edited ? "true" : "false",
        "data-from": state.group && message.from ? message.from.name : null,
        "data-delivered": state.group && person ? String(message.delivered !== false) : null,
      },
      el("div", { class: `bubble${photoOnly && !message.text ? " photo-only" : ""}` }, ...bubbleParts)
    );
    if (!person && message.buttons && message.buttons.length) row.append(keyboardNode(message));
    if (state.group) {
      const name = person ? (message.from && message.from.name) || "?" : "bot";
      const quote = message.text || message.caption || (message.photo ? "[ảnh]" : "");
      row.append(
        el("button", {
          type: "button",
          class: "reply-action",
          "data-testid": "reply-action",
          text: "↩ Trả lời",
          onclick: () => {
            setReplyTo({ message_id: message.message_id, name, text: quote, auto: false });
            els.input.focus({ preventScroll: true });
          },
        })
      );
    }
    return row;
  }

  function keyboardNode(message) {
    const rows = message.buttons.map((buttons) =>
      el(
        "div",
        { class: "keyboard-row" },
        ...buttons.map((button) => {
          if (button.url) {
            const href = safeUrl(button.url);
            return el(
              "a",
              { class: "inline-button", "data-testid": "inline-button", href: href || "#", target: "_blank", rel: "noopener noreferrer" },
              button.text,
              el("span", { class: "ext", "aria-hidden": "true", text: "↗" })
            );
          }
          return el("button", {
            type: "button",
            class: "inline-button",
            "data-testid": "inline-button",
            "data-callback-data": button.callback_data || "",
            text: button.text,
            onclick: (event) => press(message.message_id, button.callback_data, event.currentTarget),
          });
        })
      )
    );
    return el("div", { class: "keyboard", "data-testid": "inline-keyboard" }, ...rows);
  }

  function typingNode() {
    return el(
      "div",
      { class: "row bot typing-row", "data-testid": "typing" },
      el("div", { class: "bubble" }, el("span", { class: "dots", "aria-label": "Bot đang soạn tin" }, el("i"), el("i"), el("i")))
    );
  }

  function documentIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M7 3h7l5 5v13H7zM14 3v5h5M10 13h6M10 17h6");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.8");
    path.setAttribute("stroke-linejoin", "round");
    svg.append(path);
    return svg;
  }

  function setTyping(on) {
    clearTimeout(state.typingTimer);
    els.status.classList.toggle("typing", on);
    const username = currentBot().username;
    let idle = state.channel === "zalo" ? "bot · Zalo" : username ? `bot · @${username}` : "bot";
    if (state.group) idle = `nhóm · ${(state.group.people || []).length} người và bot · ${state.channel === "zalo" ? "Zalo" : "Telegram"}`;
    els.status.textContent = on ? "đang soạn tin…" : idle;
    if (on) {
      // Telegram shows a chat action for 5 s at most; nothing tells the page it ended.
      state.typingTimer = setTimeout(() => {
        setTyping(false);
        const node = els.messages.querySelector(".typing-row");
        if (node) node.remove();
      }, 5000);
    }
  }

  function renderReplyKeyboard(rows) {
    if (!rows || !rows.length) {
      els.replyKeyboard.hidden = true;
      els.replyKeyboard.replaceChildren();
      return;
    }
    els.replyKeyboard.replaceChildren(
      ...rows.map((row) =>
        el(
          "div",
          { class: "keyboard-row" },
          ...row.map((label) =>
            el("button", { type: "button", class: "reply-button", "data-testid": "reply-button", text: label, onclick: () => sendText(label) })
          )
        )
      )
    );
    els.replyKeyboard.hidden = false;
  }

  function renderCommands(commands) {
    state.commands = commands;
    els.menuButton.hidden = commands.length === 0;
    if (!commands.length) els.menuPanel.hidden = true;
    els.menuPanel.replaceChildren(
      ...commands.map((c) =>
        el(
          "button",
          { type: "button", class: "menu-item", "data-testid": "menu-command", onclick: () => { els.menuPanel.hidden = true; els.menuButton.setAttribute("aria-expanded", "false"); sendText(commandText(c.command)); } },
          el("span", { class: "cmd-name", text: `/${c.command}` }),
          el("span", { class: "cmd-desc", text: c.description })
        )
      )
    );
  }

  function renderNotices(notices) {
    for (const notice of notices) {
      if (state.seenNotices.has(notice.callback_query_id)) continue;
      state.seenNotices.add(notice.callback_query_id);
      if (!state.firstRender) showNotice(notice.text, notice.show_alert);
    }
  }

  function showNotice(text, alert) {
    clearTimeout(state.noticeTimer);
    els.notice.textContent = text;
    els.notice.classList.toggle("alert", Boolean(alert));
    els.notice.hidden = false;
    state.noticeTimer = setTimeout(hideNotice, alert ? 8000 : 3500);
  }

  function hideNotice() {
    clearTimeout(state.noticeTimer);
    els.notice.hidden = true;
  }

  // ------------------------------------------------------------------ actions

  // A command as the app sends it: in a Telegram group, addressed to this bot (/lenh@ten_bot).
  function commandText(command) {
    if (state.group && state.channel === "telegram" && currentBot().username) return `/${command}@${currentBot().username}`;
    return `/${command}`;
  }

  async function sendText(text) {
    const value = String(text || "").trim();
    if (!value || !state.current) return;
    const body = { user_id: state.current.user_id, text: value, channel: state.channel };
    if (privateBot()) body.bot = privateBot();
    if (state.group) {
      body.group = state.group.key;
      if (state.replyTo) body.reply_to = state.replyTo.message_id;
      setReplyTo(null);
    }
    try {
      await postJSON("/sandbox/api/send", body);
    } catch (error) {
      showNotice(`Không gửi được: ${error.message}`, true);
    }
  }

  async function submit() {
    const value = els.input.value;
    if (!value.trim()) return;
    els.input.value = "";
    autoGrow();
    updateSendButton();
    await sendText(value);
    els.input.focus({ preventScroll: true });
  }

  function clearPressed() {
    clearTimeout(state.pressTimer);
    for (const button of els.messages.querySelectorAll(".inline-button[disabled]")) {
      button.disabled = false;
      button.classList.remove("pressed");
    }
  }

  async function press(messageId, callbackData, button) {
    if (!state.current) return;
    // Like a phone: the pressed keyboard waits for the bot's answer (an edit, a message or a notice).
    const keyboard = button.closest(".keyboard");
    for (const b of keyboard.querySelectorAll("button.inline-button")) b.disabled = true;
    button.classList.add("pressed");
    clearTimeout(state.pressTimer);
    state.pressTimer = setTimeout(clearPressed, 4000);
    try {
      const body = { user_id: state.current.user_id, message_id: messageId, callback_data: callbackData };
      if (state.group) body.group = state.group.key;
      else if (privateBot()) body.bot = privateBot();
      await postJSON("/sandbox/api/press", body);
    } catch (error) {
      clearPressed();
      showNotice(`Không bấm được: ${error.message}`, true);
    }
  }

  async function sendPhoto(file) {
    if (!file || !state.current) return;
    const form = new FormData();
    form.append("user_id", String(state.current.user_id));
    form.append("channel", state.channel);
    if (privateBot()) form.append("bot", privateBot());
    form.append("photo", file, file.name || "anh.jpg");
    if (state.group) {
      form.append("group", state.group.key);
      if (state.replyTo) form.append("reply_to", String(state.replyTo.message_id));
      setReplyTo(null);
    }
    const caption = els.input.value.trim();
    if (caption) {
      form.append("caption", caption);
      els.input.value = "";
      autoGrow();
      updateSendButton();
    }
    try {
      await api("/sandbox/api/photo", { method: "POST", body: form });
    } catch (error) {
      showNotice(`Không gửi được ảnh: ${error.message}`, true);
    }
  }

  function setChannel(channel, restart) {
    const available = state.bot.channels || ["telegram"];
    state.channel = available.includes(channel) ? channel : "telegram";
    try {
      localStorage.setItem("bdhvs-sandbox-channel", state.channel);
    } catch (_) {
      /* private mode */
    }
    for (const button of els.channelSwitch.querySelectorAll("[data-channel]")) {
      button.setAttribute("aria-pressed", String(button.dataset.channel === state.channel));
    }
    els.app.classList.toggle("channel-zalo", state.channel === "zalo");
    els.input.maxLength = TEXT_LIMITS[state.channel];
    if (restart && state.current) {
      setReplyTo(null);
      resetChat();
      startPolling();
    }
    if (state.current) showBot();
    setTyping(false);
  }

  async function newPersona() {
    try {
      // a newcomer writes first to the bot the open chat is with; the header lets them pick another
      const body = state.channel === "telegram" && !state.group && state.current ? { bot: currentBot().key } : {};
      const person = await postJSON("/sandbox/api/personas/new", body);
      state.personas.push(person);
      renderPersonas();
      selectPersona(person.user_id);
    } catch (error) {
      showNotice(`Không tạo được người mới: ${error.message}`, true);
    }
  }

  function autoGrow() {
    els.input.style.height = "auto";
    els.input.style.height = `${Math.min(els.input.scrollHeight + 2, 160)}px`;
  }

  function updateSendButton() {
    els.send.disabled = !els.input.value.trim();
  }

  // ------------------------------------------------------------------ wiring

  els.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  els.input.addEventListener("keydown", (event) => {
    // isComposing: Vietnamese input methods (Telex, VNI) use Enter to commit a word
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  els.input.addEventListener("input", () => {
    autoGrow();
    updateSendButton();
  });
  els.photo.addEventListener("change", () => {
    const file = els.photo.files && els.photo.files[0];
    els.photo.value = "";
    sendPhoto(file);
  });
  els.newPersona.addEventListener("click", newPersona);
  els.openDashboard.addEventListener("click", openDashboard);
  els.speaker.addEventListener("change", () => {
    setReplyTo(null);
    setSpeaker(Number(els.speaker.value), true);
  });
  els.mentionBot.addEventListener("click", insertMention);
  els.botChoice.addEventListener("change", () => chooseBot(els.botChoice.value));
  els.replyCancel.addEventListener("click", () => setReplyTo(null));
  for (const button of els.channelSwitch.querySelectorAll("[data-channel]")) {
    button.addEventListener("click", () => {
      if (button.dataset.channel !== state.channel) setChannel(button.dataset.channel, true);
    });
  }
  els.sayStart.addEventListener("click", () => sendText("/start"));
  els.menuButton.addEventListener("click", () => {
    const open = els.menuPanel.hidden;
    els.menuPanel.hidden = !open;
    els.menuButton.setAttribute("aria-expanded", String(open));
  });
  els.notice.addEventListener("click", hideNotice);
  els.openSidebar.addEventListener("click", () => els.app.classList.add("sidebar-open"));
  els.scrim.addEventListener("click", () => els.app.classList.remove("sidebar-open"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      els.menuPanel.hidden = true;
      els.app.classList.remove("sidebar-open");
    }
  });
  els.scrim.hidden = false;

  async function start() {
    updateSendButton();
    try {
      state.bot = await api("/sandbox/api/bot");
      els.botName.textContent = botOf(null).first_name || "bdhvs-bot";
      els.channelSwitch.hidden = !(state.bot.channels || []).includes("zalo");
      setChannel(savedChannel(), false);
    } catch (_) {
      /* the header keeps its default */
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await loadPersonas();
        els.connection.hidden = true;
        break;
      } catch (_) {
        els.connection.hidden = false;
        await delay(Math.min(5000, 500 * attempt));
      }
    }
    await loadGroups();
    // Whoever the visitor picked while the groups were still loading stays picked: the page only chooses the
    // remembered (or first) speaker when nobody was chosen yet.
    if (!state.chosen) chooseRememberedSpeaker();
    els.app.dataset.ready = "true";
  }

  function chooseRememberedSpeaker() {
    let savedGroup = null;
    try {
      savedGroup = localStorage.getItem("bdhvs-sandbox-group");
    } catch (_) {
      savedGroup = null;
    }
    if (savedGroup && state.groups.some((g) => g.key === savedGroup)) {
      selectGroup(savedGroup);
      return;
    }
    let saved = null;
    try {
      saved = Number(localStorage.getItem("bdhvs-sandbox-persona"));
    } catch (_) {
      saved = null;
    }
    const first = state.personas.find((p) => p.user_id === saved) || state.personas[0];
    if (first) selectPersona(first.user_id);
    else els.app.classList.add("sidebar-open");
  }

  start();
})();
