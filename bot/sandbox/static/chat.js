// Web chat page of the sandbox: act as a persona and talk to the bot, on Telegram or Zalo.
// Reads <control>/personas, polls <control>/transcript, and writes through
// <control>/message (and /control/press for Telegram's buttons), where <control> is
// /control for Telegram and /zalo/control for Zalo. Message text is only ever set via
// textContent. Telegram files are shown from /control/file?file_id=..., Zalo files from the
// path the transcript gives; the 📎 button sends a picture as a photo.
// Zalo mode has private chats only and no buttons: the bot's choices are numbered text.
"use strict";

const POLL_MS = 700;
const TOAST_MS = 2600;
const STORAGE_KEY = "binhyen-sandbox-chat";
const MODES = {
  telegram: {
    name: "Telegram",
    control: "/control",
    groups: true,
    buttons: true,
    maxLength: 4096,
    msPerDateUnit: 1000,
  },
  zalo: {
    name: "Zalo",
    control: "/zalo/control",
    groups: false,
    buttons: false,
    maxLength: 2000,
    msPerDateUnit: 1,
  },
};
const UNSUPPORTED_EVENT = "message.unsupported.received";
const UNSUPPORTED = "Nút này chưa hỗ trợ trong bản thử.";
const DEFAULT_PHONE = "0912345678";
const FIXED_LOCATION = { latitude: 10.7769, longitude: 106.7009 };
const MEDIA_LABELS = {
  photo: "🖼 Ảnh",
  video: "🎬 Video",
  voice: "🎤 Tin nhắn thoại",
  audio: "🎵 Âm thanh",
  document: "📄 Tệp",
  sticker: "🙂 Nhãn dán",
};
const ENTITY_TAGS = {
  bold: "strong",
  italic: "em",
  underline: "u",
  strikethrough: "s",
  code: "code",
  pre: "code",
};

const state = {
  mode: "telegram",
  zaloAvailable: false,
  personas: [],
  groups: [],
  bot: null,
  lastRendered: "",
  seenAnswers: new Set(),
  answersPrimed: false,
  pollTimer: null,
  pinned: true,
};

const $ = (id) => document.getElementById(id);
const mode = () => MODES[state.mode];
const control = (path) => `${mode().control}${path}`;

async function callApi(path, body) {
  const options = body === undefined
    ? { method: "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

function currentPersona() {
  return state.personas[Number($("persona").value)] || state.personas[0];
}

function currentChat() {
  const user = currentPersona().user;
  const value = $("chat").value;
  if (value === "private") {
    return { id: user.id, spec: null, isGroup: false };
  }
  const group = state.groups[Number(value)];
  return { id: group.id, spec: group, isGroup: true };
}

// The choice of persona and chat is remembered per mode; the mode itself too.
function storageKey() {
  return state.mode === "telegram" ? STORAGE_KEY : `${STORAGE_KEY}-${state.mode}`;
}

function saveChoice() {
  const choice = { persona: $("persona").value, chat: $("chat").value };
  localStorage.setItem(storageKey(), JSON.stringify(choice));
  localStorage.setItem(`${STORAGE_KEY}-mode`, state.mode);
}

function loadChoice() {
  try {
    return JSON.parse(localStorage.getItem(storageKey()) || "{}");
  } catch (error) {
    return {};
  }
}

// ?mode=zalo picks the messenger (when the Zalo emulator runs).
function modeFromUrl() {
  const wanted = new URLSearchParams(window.location.search).get("mode")
    || localStorage.getItem(`${STORAGE_KEY}-mode`);
  return wanted === "zalo" && state.zaloAvailable ? "zalo" : "telegram";
}

// ?user=<persona user id>&chat=<group chat id or "private"> preselects a view.
function choiceFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const choice = {};
  const userIndex = state.personas.findIndex((p) => String(p.user.id) === params.get("user"));
  if (userIndex >= 0) choice.persona = String(userIndex);
  const chat = params.get("chat");
  const groupIndex = state.groups.findIndex((g) => String(g.id) === chat);
  if (groupIndex >= 0) choice.chat = String(groupIndex);
  else if (chat) choice.chat = "private";
  return choice;
}

function fillSelectors() {
  const personaSelect = $("persona");
  personaSelect.replaceChildren();
  state.personas.forEach((persona, index) => {
    personaSelect.append(new Option(persona.label, String(index)));
  });
  const chatSelect = $("chat");
  chatSelect.replaceChildren(new Option("Cá nhân (với bot)", "private"));
  state.groups.forEach((group, index) => {
    chatSelect.append(new Option(`Nhóm: ${group.title || group.id}`, String(index)));
  });
  const saved = { ...loadChoice(), ...choiceFromUrl() };
  if (saved.persona && personaSelect.querySelector(`option[value="${saved.persona}"]`)) {
    personaSelect.value = saved.persona;
  }
  if (saved.chat && chatSelect.querySelector(`option[value="${saved.chat}"]`)) {
    chatSelect.value = saved.chat;
  }
}

// ------------------------------------------------------------------ rendering

function wrapEntity(node, entity) {
  let element;
  if (entity.type === "text_link") {
    element = document.createElement("a");
    if (/^(https?|tg):/i.test(entity.url || "")) {
      element.href = entity.url;
      element.target = "_blank";
      element.rel = "noopener noreferrer";
    }
  } else {
    element = document.createElement(ENTITY_TAGS[entity.type] || "span");
  }
  element.className = `e-${entity.type}`;
  if (entity.type === "spoiler") {
    element.title = "Bấm để xem";
    element.addEventListener("click", () => element.classList.toggle("revealed"));
  }
  element.append(node);
  return element;
}

function renderText(text, entities) {
  const fragment = document.createDocumentFragment();
  const clamp = (value) => Math.max(0, Math.min(text.length, value));
  const cuts = new Set([0, text.length]);
  for (const entity of entities) {
    cuts.add(clamp(entity.offset));
    cuts.add(clamp(entity.offset + entity.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i += 1) {
    const start = points[i];
    const end = points[i + 1];
    let node = document.createTextNode(text.slice(start, end));
    for (const entity of entities) {
      if (entity.offset <= start && entity.offset + entity.length >= end) {
        node = wrapEntity(node, entity);
      }
    }
    fragment.append(node);
  }
  return fragment;
}

// Telegram dates are seconds, Zalo's milliseconds.
function formatTime(date) {
  return new Date(date * mode().msPerDateUnit).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
}

function renderInlineKeyboard(message, chatId) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const row of message.reply_markup.inline_keyboard) {
    const rowElement = document.createElement("div");
    rowElement.className = "kb-row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      if (button.url) {
        element.classList.add("url");
      }
      element.addEventListener("click", () => pressInline(message, chatId, button));
      rowElement.append(element);
    }
    keyboard.append(rowElement);
  }
  return keyboard;
}

function fileUrl(fileId) {
  return `/control/file?file_id=${encodeURIComponent(fileId)}`;
}

// Where the page loads a file from: the path or URL Zalo gives, or a Telegram file_id.
function mediaSource(media) {
  if (media.path) return media.path;
  if (state.mode === "telegram" && media.file_id) return fileUrl(media.file_id);
  if (/^https?:/i.test(media.url || "")) return media.url;
  return null;
}

function describeMedia(media) {
  const parts = [MEDIA_LABELS[media.kind] || media.kind];
  if (media.file_name) parts.push(media.file_name);
  if (media.duration) parts.push(`${media.duration} giây`);
  if (media.size) parts.push(`${Math.max(1, Math.round(media.size / 1024))} KB`);
  return parts.join(" · ");
}

// A one-line summary, for quotes of replied-to messages.
function summaryText(message) {
  if (message.text) return message.text;
  if (message.media) return MEDIA_LABELS[message.media.kind] || message.media.kind;
  if (message.location) return "📍 Vị trí";
  if (message.contact) return "👤 Liên hệ";
  return "";
}

function renderAttachment(message) {
  const source = message.media ? mediaSource(message.media) : null;
  if (source && (message.media.kind === "photo" || message.media.kind === "sticker")) {
    const image = document.createElement("img");
    image.className = "photo";
    image.src = source;
    image.alt = describeMedia(message.media);
    image.loading = "lazy";
    return image;
  }
  const element = document.createElement(source ? "a" : "div");
  element.className = "attachment";
  if (message.media) {
    if (source) {
      element.href = source;
      element.target = "_blank";
      element.rel = "noopener noreferrer";
    }
    element.textContent = describeMedia(message.media);
  } else if (message.event_name === UNSUPPORTED_EVENT) {
    element.textContent = "📦 Loại tin nhắn Zalo chưa hỗ trợ (tệp, danh thiếp…)";
  } else if (message.location) {
    const { latitude, longitude } = message.location;
    element.textContent = `📍 Vị trí: ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
  } else if (message.contact) {
    element.textContent = `👤 ${message.contact.first_name}: ${message.contact.phone_number}`;
  } else {
    return null;
  }
  return element;
}

function renderService(message) {
  const element = document.createElement("div");
  element.className = "service";
  const service = message.service;
  if (service.migrate_to_chat_id) {
    element.textContent = `Nhóm đã được nâng cấp thành siêu nhóm (${service.migrate_to_chat_id})`;
  } else if (service.migrate_from_chat_id) {
    element.textContent = `Siêu nhóm được tạo từ nhóm ${service.migrate_from_chat_id}`;
  } else {
    element.textContent = "Tin nhắn hệ thống";
  }
  return element;
}

function renderMessage(message, byId, chat) {
  if (message.service) return renderService(message);
  const me = currentPersona().user.id;
  const mine = message.from === "user" && message.user_id === me;
  const element = document.createElement("article");
  element.className = `msg ${message.from}${mine ? " mine" : ""}${message.deleted ? " deleted" : ""}`;
  if (!mine && (chat.isGroup || message.from === "bot")) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = message.sender_name;
    element.append(sender);
  }
  const replied = message.reply_to_message_id ? byId.get(message.reply_to_message_id) : null;
  if (replied) {
    const quote = document.createElement("div");
    quote.className = "quote";
    quote.textContent = `${replied.sender_name}: ${summaryText(replied)}`;
    element.append(quote);
  }
  const attachment = renderAttachment(message);
  if (attachment) element.append(attachment);
  if (message.text) {
    const body = document.createElement("div");
    body.className = "body";
    body.append(renderText(message.text, message.entities || []));
    element.append(body);
  }
  if (mode().buttons && message.reply_markup && message.reply_markup.inline_keyboard) {
    element.append(renderInlineKeyboard(message, chat.id));
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const notes = [formatTime(message.date)];
  if (message.edited) notes.unshift("đã sửa");
  if (message.deleted) notes.unshift("đã xoá");
  meta.textContent = notes.join(" · ");
  element.append(meta);
  return element;
}

function renderReplyKeyboard(markup) {
  const area = $("reply-keyboard");
  area.replaceChildren();
  const input = $("text");
  input.placeholder = (markup && markup.input_field_placeholder) || "Nhập tin nhắn…";
  if (!markup || !mode().buttons) {
    area.hidden = true;
    return;
  }
  for (const row of markup.keyboard) {
    const rowElement = document.createElement("div");
    rowElement.className = "kb-row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      element.addEventListener("click", () => pressReplyButton(button));
      rowElement.append(element);
    }
    area.append(rowElement);
  }
  area.hidden = false;
}

// A chat read at its bottom stays there while its messages settle (a late font, an emoji
// drawn taller): a message shown cut in half at the bottom looks like a bug in the bot.
const pinToBottom = new ResizeObserver(() => {
  if (state.pinned) {
    const list = $("messages");
    list.scrollTop = list.scrollHeight;
  }
});

function atBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function renderTranscript(transcript, chat) {
  const list = $("messages");
  const nearBottom = atBottom(list);
  list.replaceChildren();
  const messages = transcript ? transcript.messages : [];
  if (messages.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "Chưa có tin nhắn nào. Gửi /start để bắt đầu.";
    list.append(empty);
  }
  const byId = new Map(messages.map((message) => [message.message_id, message]));
  for (const message of messages) {
    list.append(renderMessage(message, byId, chat));
  }
  if (transcript && transcript.blocked) {
    const note = document.createElement("div");
    note.className = "service";
    note.textContent = "Bạn đã chặn Bình Yên. Gửi một tin nhắn để bỏ chặn.";
    list.append(note);
  }
  renderReplyKeyboard(transcript ? transcript.reply_keyboard : null);
  state.pinned = nearBottom || !state.lastRendered;
  if (state.pinned) {
    list.scrollTop = list.scrollHeight;
  }
  pinToBottom.disconnect();
  for (const element of list.children) {
    pinToBottom.observe(element);
  }
}

function announceAnswers(transcript) {
  const answers = (transcript && transcript.callback_answers) || [];
  const me = currentPersona().user.id;
  for (const answer of answers) {
    if (state.seenAnswers.has(answer.callback_query_id)) continue;
    state.seenAnswers.add(answer.callback_query_id);
    if (!state.answersPrimed || answer.user_id !== me || !answer.text) continue;
    if (answer.show_alert) {
      showAlert(answer.text);
    } else {
      showToast(answer.text);
    }
  }
  state.answersPrimed = true;
}

// --------------------------------------------------------------- notifications

function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => { toast.hidden = true; }, TOAST_MS);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

// ---------------------------------------------------------------------- actions

async function refresh() {
  const chat = currentChat();
  try {
    const result = await callApi(control(`/transcript?chat_id=${encodeURIComponent(chat.id)}`));
    $("status").hidden = true;
    const transcript = result.ok ? result.data : null;
    const snapshot = JSON.stringify([state.mode, chat.id, currentPersona().user.id, transcript]);
    if (snapshot !== state.lastRendered) {
      renderTranscript(transcript, chat);
      state.lastRendered = snapshot;
    }
    announceAnswers(transcript);
  } catch (error) {
    $("status").hidden = false;
  }
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    await refresh();
    schedulePoll();
  }, POLL_MS);
}

async function sendText(text) {
  return sendMessage({ text });
}

// Posts a message as the current persona: `content` holds text, or a photo, contact...
async function sendMessage(content) {
  const chat = currentChat();
  const body = { user: currentPersona().user, ...content };
  if (chat.spec) body.chat = chat.spec;
  const result = await callApi(control("/message"), body);
  if (!result.ok) {
    showToast(`Không gửi được: ${(result.data && result.data.description) || result.status}`);
    return false;
  }
  await refresh();
  return true;
}

async function pressInline(message, chatId, button) {
  if (message.deleted) return;
  if (typeof button.callback_data === "string") {
    const result = await callApi("/control/press", {
      user_id: currentPersona().user.id,
      chat_id: chatId,
      message_id: message.message_id,
      data: button.callback_data,
    });
    if (!result.ok) {
      showToast(`Không bấm được: ${(result.data && result.data.description) || result.status}`);
    }
    return;
  }
  if (button.url && /^(https?|tg):/i.test(button.url)) {
    window.open(button.url, "_blank", "noopener");
    return;
  }
  showToast(UNSUPPORTED);
}

function sendOwnContact() {
  const persona = currentPersona();
  return sendMessage({
    contact: {
      phone_number: persona.phone || DEFAULT_PHONE,
      first_name: persona.user.first_name,
      user_id: persona.user.id,
    },
  });
}

function sendFixedLocation() {
  return sendMessage({ location: { ...FIXED_LOCATION } });
}

function readAsBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function sendPickedPhoto() {
  const picker = $("photo-file");
  const file = picker.files && picker.files[0];
  picker.value = "";
  if (!file) return;
  let data;
  try {
    data = await readAsBase64(file);
  } catch (error) {
    showToast("Không đọc được tệp ảnh.");
    return;
  }
  const input = $("text");
  const content = { photo: { data_base64: data } };
  if (input.value.trim()) content.caption = input.value.trim();
  if (await sendMessage(content)) input.value = "";
}

function pressReplyButton(button) {
  if (button.request_contact) {
    sendOwnContact();
  } else if (button.request_location) {
    sendFixedLocation();
  } else if (button.request_poll || button.request_users || button.request_user
      || button.request_chat || button.request_managed_bot || button.web_app) {
    showAlert(UNSUPPORTED);
  } else {
    sendText(button.text);
  }
}

async function toggleCommandMenu() {
  const menu = $("command-menu");
  if (!menu.hidden) {
    menu.hidden = true;
    return;
  }
  const chat = currentChat();
  const user = currentPersona().user;
  const query = `chat_id=${encodeURIComponent(chat.id)}&user_id=${encodeURIComponent(user.id)}`
    + `&language_code=${encodeURIComponent(user.language_code || "")}`;
  const result = await callApi(control(`/commands?${query}`));
  const commands = (result.ok && result.data.visible) || [];
  menu.replaceChildren();
  if (commands.length === 0) {
    const note = document.createElement("p");
    note.textContent = "Bot chưa đăng ký lệnh nào.";
    menu.append(note);
  }
  for (const command of commands) {
    const item = document.createElement("button");
    item.type = "button";
    const name = document.createElement("span");
    name.className = "cmd";
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => {
      menu.hidden = true;
      sendText(`/${command.command}`);
    });
    menu.append(item);
  }
  menu.hidden = false;
}

async function resetAll() {
  const what = mode().groups ? "tin nhắn, nhóm, lệnh" : "tin nhắn, ảnh";
  if (!window.confirm(`Xoá toàn bộ dữ liệu thử của ${mode().name} (${what})?`)) return;
  await callApi(control("/reset"), {});
  state.seenAnswers.clear();
  state.lastRendered = "";
  await refresh();
}

function onSelectionChange() {
  saveChoice();
  $("command-menu").hidden = true;
  state.lastRendered = "";
  refresh();
}

function bindEvents() {
  $("messages").addEventListener("scroll", () => { state.pinned = atBottom($("messages")); });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text) return;
    if (await sendText(text)) input.value = "";
    input.focus();
  });
  $("persona").addEventListener("change", onSelectionChange);
  $("chat").addEventListener("change", onSelectionChange);
  $("commands").addEventListener("click", toggleCommandMenu);
  $("attach").addEventListener("click", () => $("photo-file").click());
  $("photo-file").addEventListener("change", sendPickedPhoto);
  $("reset").addEventListener("click", resetAll);
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  for (const button of document.querySelectorAll("#mode-switch button")) {
    button.addEventListener("click", () => switchMode(button.dataset.mode));
  }
}

// Shows what the current mode has: groups, the command menu and buttons only on Telegram.
function applyMode() {
  document.body.classList.toggle("zalo", state.mode === "zalo");
  for (const button of document.querySelectorAll("#mode-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.mode === state.mode));
  }
  $("chat-field").hidden = !mode().groups;
  $("commands").hidden = !mode().buttons;
  $("command-menu").hidden = true;
  $("text").maxLength = mode().maxLength;
  const bot = state.bot;
  let name = "";
  if (bot) name = state.mode === "zalo" ? `Zalo · ${bot.account_name}` : `@${bot.username}`;
  $("bot-name").textContent = name;
}

// Loads the current mode's personas and bot; false if its server part does not answer.
async function loadMode() {
  const result = await callApi(control("/personas"));
  if (!result.ok) {
    $("status").hidden = false;
    return false;
  }
  state.personas = result.data.personas;
  state.groups = mode().groups ? result.data.groups : [];
  state.bot = result.data.bot;
  state.seenAnswers.clear();
  state.answersPrimed = false;
  state.lastRendered = "";
  fillSelectors();
  applyMode();
  return true;
}

async function switchMode(name) {
  if (name === state.mode || !MODES[name]) return;
  state.mode = name;
  localStorage.setItem(`${STORAGE_KEY}-mode`, name);
  if (await loadMode()) await refresh();
}

async function start() {
  const zalo = await callApi(`${MODES.zalo.control}/personas`);
  state.zaloAvailable = zalo.ok;
  $("mode-switch").hidden = !state.zaloAvailable;
  state.mode = modeFromUrl();
  if (!(await loadMode())) return;
  bindEvents();
  await refresh();
  schedulePoll();
}

start();
