// Web chat page of the Telegram sandbox: act as a persona and talk to the bot.
// Reads /control/personas once, polls /control/transcript, and writes through
// /control/message and /control/press. Message text is only ever set via textContent.
// Files are shown from /control/file?file_id=...; the 📎 button sends a picture as a photo.
"use strict";

const POLL_MS = 700;
const TOAST_MS = 2600;
const STORAGE_KEY = "binhyen-sandbox-chat";
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
  personas: [],
  groups: [],
  bot: null,
  lastRendered: "",
  seenAnswers: new Set(),
  answersPrimed: false,
  pollTimer: null,
};

const $ = (id) => document.getElementById(id);

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

function saveChoice() {
  const choice = { persona: $("persona").value, chat: $("chat").value };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
}

function loadChoice() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
  } catch (error) {
    return {};
  }
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
  state.personas.forEach((persona, index) => {
    personaSelect.append(new Option(persona.label, String(index)));
  });
  const chatSelect = $("chat");
  chatSelect.append(new Option("Cá nhân (với bot)", "private"));
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

function formatTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
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

function describeMedia(media) {
  const parts = [MEDIA_LABELS[media.kind] || media.kind];
  if (media.file_name) parts.push(media.file_name);
  if (media.duration) parts.push(`${media.duration} giây`);
  parts.push(`${Math.max(1, Math.round(media.size / 1024))} KB`);
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
  if (message.media && (message.media.kind === "photo" || message.media.kind === "sticker")) {
    const image = document.createElement("img");
    image.className = "photo";
    image.src = fileUrl(message.media.file_id);
    image.alt = describeMedia(message.media);
    image.loading = "lazy";
    return image;
  }
  const element = document.createElement(message.media ? "a" : "div");
  element.className = "attachment";
  if (message.media) {
    element.href = fileUrl(message.media.file_id);
    element.target = "_blank";
    element.textContent = describeMedia(message.media);
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
  if (message.reply_markup && message.reply_markup.inline_keyboard) {
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
  if (!markup) {
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

function renderTranscript(transcript, chat) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
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
  renderReplyKeyboard(transcript ? transcript.reply_keyboard : null);
  if (nearBottom || !state.lastRendered) {
    list.scrollTop = list.scrollHeight;
  }
}

function announceAnswers(transcript) {
  const answers = transcript ? transcript.callback_answers : [];
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
    const result = await callApi(`/control/transcript?chat_id=${encodeURIComponent(chat.id)}`);
    $("status").hidden = true;
    const transcript = result.ok ? result.data : null;
    const snapshot = JSON.stringify([chat.id, currentPersona().user.id, transcript]);
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
  const result = await callApi("/control/message", body);
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
  const result = await callApi(`/control/commands?${query}`);
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
  if (!window.confirm("Xoá toàn bộ dữ liệu thử (tin nhắn, nhóm, lệnh)?")) return;
  await callApi("/control/reset", {});
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
}

async function start() {
  const result = await callApi("/control/personas");
  if (!result.ok) {
    $("status").hidden = false;
    return;
  }
  state.personas = result.data.personas;
  state.groups = result.data.groups;
  state.bot = result.data.bot;
  $("bot-name").textContent = state.bot ? `@${state.bot.username}` : "";
  fillSelectors();
  bindEvents();
  await refresh();
  schedulePoll();
}

start();
