"""The Bot API methods the sandbox implements and the parameters each one accepts.

Every field aiogram 3 may send for these methods is declared, so a legitimate request is
never refused; the fields the sandbox has no use for (business connections, paid
broadcasts, message effects...) are type-checked and then dropped. Anything undeclared
is an "unknown parameter" error, stricter than Telegram on purpose.
"""

from bot.sandbox.params import Kind, Param


def _p(name: str, kind: Kind, required: bool = False) -> Param:
    return Param(name, kind, required=required)


def _ignored(name: str, kind: Kind) -> Param:
    return Param(name, kind, used=False)


_SEND_MESSAGE_PARAMS = (
    _p("chat_id", Kind.CHAT_ID, required=True),
    _p("text", Kind.STR, required=True),
    _p("parse_mode", Kind.STR),
    _p("entities", Kind.ARRAY),
    _p("reply_markup", Kind.OBJECT),
    _p("reply_parameters", Kind.OBJECT),
    _p("reply_to_message_id", Kind.INT),
    _p("allow_sending_without_reply", Kind.BOOL),
    _p("protect_content", Kind.BOOL),
    _ignored("business_connection_id", Kind.STR),
    _ignored("message_thread_id", Kind.INT),
    _ignored("direct_messages_topic_id", Kind.INT),
    _ignored("link_preview_options", Kind.OBJECT),
    _ignored("disable_web_page_preview", Kind.BOOL),
    _ignored("disable_notification", Kind.BOOL),
    _ignored("allow_paid_broadcast", Kind.BOOL),
    _ignored("message_effect_id", Kind.STR),
    _ignored("suggested_post_parameters", Kind.OBJECT),
    _ignored("ephemeral_message_parameters", Kind.OBJECT),
    _ignored("receiver_user_id", Kind.INT),
    _ignored("callback_query_id", Kind.STR),
)
_EDIT_TARGET_PARAMS = (
    _p("chat_id", Kind.CHAT_ID),
    _p("message_id", Kind.INT),
    _p("inline_message_id", Kind.STR),
    _p("reply_markup", Kind.OBJECT),
    _ignored("business_connection_id", Kind.STR),
)
_EDIT_TEXT_PARAMS = (
    *_EDIT_TARGET_PARAMS,
    _p("text", Kind.STR),
    _p("parse_mode", Kind.STR),
    _p("entities", Kind.ARRAY),
    _ignored("link_preview_options", Kind.OBJECT),
    _ignored("disable_web_page_preview", Kind.BOOL),
    _ignored("rich_message", Kind.OBJECT),
)
_COMMAND_SCOPE_PARAMS = (_p("scope", Kind.OBJECT), _p("language_code", Kind.STR))

# Canonical Bot API name -> (TelegramSandbox method, declared parameters).
BOT_API_METHODS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "getMe": ("get_me", ()),
    "getUpdates": (
        "get_updates",
        (
            _p("offset", Kind.INT),
            _p("limit", Kind.INT),
            _p("timeout", Kind.INT),
            _p("allowed_updates", Kind.ARRAY),
        ),
    ),
    "sendMessage": ("send_message", _SEND_MESSAGE_PARAMS),
    "editMessageText": ("edit_message_text", _EDIT_TEXT_PARAMS),
    "editMessageReplyMarkup": ("edit_message_reply_markup", _EDIT_TARGET_PARAMS),
    "deleteMessage": (
        "delete_message",
        (_p("chat_id", Kind.CHAT_ID, required=True), _p("message_id", Kind.INT, required=True)),
    ),
    "answerCallbackQuery": (
        "answer_callback_query",
        (
            _p("callback_query_id", Kind.STR, required=True),
            _p("text", Kind.STR),
            _p("show_alert", Kind.BOOL),
            _p("url", Kind.STR),
            _p("cache_time", Kind.INT),
        ),
    ),
    "setMyCommands": (
        "set_my_commands",
        (_p("commands", Kind.ARRAY, required=True), *_COMMAND_SCOPE_PARAMS),
    ),
    "getMyCommands": ("get_my_commands", _COMMAND_SCOPE_PARAMS),
    "deleteMyCommands": ("delete_my_commands", _COMMAND_SCOPE_PARAMS),
    "sendChatAction": (
        "send_chat_action",
        (
            _p("chat_id", Kind.CHAT_ID, required=True),
            _p("action", Kind.STR, required=True),
            _ignored("business_connection_id", Kind.STR),
            _ignored("message_thread_id", Kind.INT),
        ),
    ),
    "deleteWebhook": ("delete_webhook", (_p("drop_pending_updates", Kind.BOOL),)),
    "getWebhookInfo": ("get_webhook_info", ()),
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
