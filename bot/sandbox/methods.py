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


# How a new message is delivered: its keyboard, what it replies to, forwarding rights.
_DELIVERY_PARAMS = (
    _p("reply_markup", Kind.OBJECT),
    _p("reply_parameters", Kind.OBJECT),
    _p("reply_to_message_id", Kind.INT),
    _p("allow_sending_without_reply", Kind.BOOL),
    _p("protect_content", Kind.BOOL),
)
_IGNORED_SEND_PARAMS = (
    _ignored("business_connection_id", Kind.STR),
    _ignored("message_thread_id", Kind.INT),
    _ignored("direct_messages_topic_id", Kind.INT),
    _ignored("disable_notification", Kind.BOOL),
    _ignored("allow_paid_broadcast", Kind.BOOL),
    _ignored("message_effect_id", Kind.STR),
    _ignored("suggested_post_parameters", Kind.OBJECT),
    _ignored("ephemeral_message_parameters", Kind.OBJECT),
    _ignored("receiver_user_id", Kind.INT),
    _ignored("callback_query_id", Kind.STR),
)
_CAPTION_PARAMS = (
    _p("caption", Kind.STR),
    _p("parse_mode", Kind.STR),
    _p("caption_entities", Kind.ARRAY),
)
_SEND_MESSAGE_PARAMS = (
    _p("chat_id", Kind.CHAT_ID, required=True),
    _p("text", Kind.STR, required=True),
    _p("parse_mode", Kind.STR),
    _p("entities", Kind.ARRAY),
    *_DELIVERY_PARAMS,
    *_IGNORED_SEND_PARAMS,
    _ignored("link_preview_options", Kind.OBJECT),
    _ignored("disable_web_page_preview", Kind.BOOL),
)


def _media_params(field: str, *extra: Param) -> tuple[Param, ...]:
    """Parameters of sendPhoto, sendVideo...: the file in `field`, a caption, `extra`."""
    return (
        _p("chat_id", Kind.CHAT_ID, required=True),
        _p(field, Kind.INPUT_FILE, required=True),
        *_CAPTION_PARAMS,
        *extra,
        *_DELIVERY_PARAMS,
        *_IGNORED_SEND_PARAMS,
    )


def _content_params(*fields: Param) -> tuple[Param, ...]:
    """Parameters of sendLocation, sendContact, sendSticker: `fields` and delivery."""
    return (
        _p("chat_id", Kind.CHAT_ID, required=True),
        *fields,
        *_DELIVERY_PARAMS,
        *_IGNORED_SEND_PARAMS,
    )


_THUMBNAIL = _ignored("thumbnail", Kind.INPUT_FILE)
_SPOILER = (_ignored("has_spoiler", Kind.BOOL), _ignored("show_caption_above_media", Kind.BOOL))
_MEDIA_METHODS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "sendPhoto": ("send_photo", _media_params("photo", *_SPOILER)),
    "sendVideo": (
        "send_video",
        _media_params(
            "video",
            _p("duration", Kind.INT),
            _p("width", Kind.INT),
            _p("height", Kind.INT),
            _THUMBNAIL,
            _ignored("cover", Kind.INPUT_FILE),
            _ignored("start_timestamp", Kind.INT),
            _ignored("supports_streaming", Kind.BOOL),
            *_SPOILER,
        ),
    ),
    "sendVoice": ("send_voice", _media_params("voice", _p("duration", Kind.INT))),
    "sendAudio": (
        "send_audio",
        _media_params(
            "audio",
            _p("duration", Kind.INT),
            _p("performer", Kind.STR),
            _p("title", Kind.STR),
            _THUMBNAIL,
        ),
    ),
    "sendDocument": (
        "send_document",
        _media_params(
            "document", _THUMBNAIL, _ignored("disable_content_type_detection", Kind.BOOL)
        ),
    ),
    "sendSticker": (
        "send_sticker",
        _content_params(_p("sticker", Kind.INPUT_FILE, required=True), _p("emoji", Kind.STR)),
    ),
    "sendLocation": (
        "send_location",
        _content_params(
            _p("latitude", Kind.FLOAT, required=True),
            _p("longitude", Kind.FLOAT, required=True),
            _p("horizontal_accuracy", Kind.FLOAT),
            _p("live_period", Kind.INT),
            _p("heading", Kind.INT),
            _p("proximity_alert_radius", Kind.INT),
        ),
    ),
    "sendContact": (
        "send_contact",
        _content_params(
            _p("phone_number", Kind.STR, required=True),
            _p("first_name", Kind.STR, required=True),
            _p("last_name", Kind.STR),
            _p("vcard", Kind.STR),
        ),
    ),
    "sendMediaGroup": (
        "send_media_group",
        (
            _p("chat_id", Kind.CHAT_ID, required=True),
            _p("media", Kind.INPUT_MEDIA, required=True),
            *_DELIVERY_PARAMS[1:],
            *_IGNORED_SEND_PARAMS[:6],
        ),
    ),
}
_COPY_SOURCE_PARAMS = (
    _p("chat_id", Kind.CHAT_ID, required=True),
    _p("from_chat_id", Kind.CHAT_ID, required=True),
    _p("message_id", Kind.INT, required=True),
    _ignored("message_thread_id", Kind.INT),
    _ignored("direct_messages_topic_id", Kind.INT),
    _ignored("video_start_timestamp", Kind.INT),
    _ignored("disable_notification", Kind.BOOL),
    _ignored("message_effect_id", Kind.STR),
    _ignored("suggested_post_parameters", Kind.OBJECT),
)
_FORWARDING_METHODS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "copyMessage": (
        "copy_message",
        (
            *_COPY_SOURCE_PARAMS,
            *_CAPTION_PARAMS,
            *_DELIVERY_PARAMS,
            _ignored("show_caption_above_media", Kind.BOOL),
            _ignored("allow_paid_broadcast", Kind.BOOL),
        ),
    ),
    "forwardMessage": (
        "forward_message",
        (*_COPY_SOURCE_PARAMS, _p("protect_content", Kind.BOOL)),
    ),
}
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
    "setWebhook": (
        "set_webhook",
        (
            _p("url", Kind.STR, required=True),
            _ignored("certificate", Kind.INPUT_FILE),
            _ignored("ip_address", Kind.STR),
            _p("max_connections", Kind.INT),
            _p("allowed_updates", Kind.ARRAY),
            _p("drop_pending_updates", Kind.BOOL),
            _p("secret_token", Kind.STR),
        ),
    ),
    "deleteWebhook": ("delete_webhook", (_p("drop_pending_updates", Kind.BOOL),)),
    "getWebhookInfo": ("get_webhook_info", ()),
    "getFile": ("get_file", (_p("file_id", Kind.STR, required=True),)),
    **_MEDIA_METHODS,
    **_FORWARDING_METHODS,
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
