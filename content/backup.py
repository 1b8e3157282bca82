"""Every sentence of `binhyen backup` and `binhyen restore`, for whoever runs the server.
Files: `bot/services/backup.py`, `bot/cli.py`.

The key warning is loud on purpose: a backup without its key file is unreadable, and a backup
with its key file beside it is every tip in clear for whoever finds both.
"""

from __future__ import annotations

KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# ---- backup --------------------------------------------------------------------------------
BACKED_UP = "Đã sao lưu cơ sở dữ liệu {kind} vào {path} ({size})."
KEY_WARNING = (
    "⚠️  Tệp khóa KHÔNG nằm trong bản sao lưu. Thiếu nó, bản sao lưu không đọc được.",
    "⚠️  Hãy chép tệp khóa {key_file} sang nơi khác — một máy khác, hoặc USB cất offline — "
    "tách riêng khỏi các bản sao lưu (chép một lần, và lại sau mỗi lần `binhyen keys rotate`).",
    "⚠️  Ai có cả bản sao lưu lẫn tệp khóa thì đọc được mọi tin báo: đừng bao giờ để hai thứ "
    "ở chung một chỗ.",
)
KEY_COPIED = ("⚠️  Đã chép tệp khóa ra {path} (quyền 600). Hãy chuyển nó đi cất riêng, không để "
              "cùng chỗ với bản sao lưu.")
MEMORY_DATABASE = "Cơ sở dữ liệu trong bộ nhớ (:memory:) không sao lưu, khôi phục được."
NOTHING_TO_BACK_UP = "Không có cơ sở dữ liệu nào ở {where} để sao lưu."
NOT_OURS = ("Cơ sở dữ liệu {where} chưa phải của Bình Yên (chưa có bảng meta, alembic_version): "
            "không có gì để sao lưu.")
WONT_OVERWRITE = ("Tệp {path} đã có và không phải bản sao lưu của Bình Yên: không ghi đè. Hãy "
                  "chọn tên tệp khác.")
KEY_OUT_IS_BACKUP = "Bản sao tệp khóa không được ghi vào chính tệp sao lưu: khóa luôn nằm riêng."
KEY_OUT_TAKEN = ("Tệp {path} đã có và không phải tệp khóa của cơ sở dữ liệu này: không ghi đè. "
                 "Hãy chọn chỗ khác cho bản sao khóa.")
KEY_NOT_OF_DATABASE = ("Tệp khóa {path} không khớp với cơ sở dữ liệu đang sao lưu (dấu khóa khác): "
                       "không chép nó ra. Bản sao lưu thì đã ghi xong.")
COPY_DAMAGED = "Bản sao vừa tạo không đọc lại được ({reason}); không ghi tệp sao lưu nào."
TOOL_MISSING = ("Không tìm thấy {tool}: hãy cài gói postgresql-client cùng phiên bản với máy chủ "
                "PostgreSQL (ví dụ postgresql-client-15), hoặc thêm thư mục chứa nó vào PATH.")
TOOL_FAILED = "{tool} báo lỗi: {reason}"

# ---- restore -------------------------------------------------------------------------------
NOT_A_BACKUP = "Tệp {path} không phải bản sao lưu của Bình Yên, hoặc đã hỏng: không khôi phục gì."
UNREADABLE = "Không đọc, ghi được {path}: {reason}."
NEWER_FORMAT = ("Tệp {path} là bản sao lưu kiểu {version}, mới hơn phiên bản Bình Yên này: hãy "
                "nâng cấp Bình Yên rồi khôi phục.")
NEWER_SCHEMA = ("Bản sao lưu đến từ một phiên bản Bình Yên mới hơn (lược đồ {revision}): hãy cài "
                "phiên bản đó rồi khôi phục. Chưa khôi phục gì.")
DAMAGED = ("Tệp {path} bị hỏng hoặc thiếu phần cuối (tổng kiểm tra không khớp): không khôi phục "
           "gì.")
KIND_MISMATCH = ("Bản sao lưu này là của {backup}, còn BINHYEN_DATABASE_URL trỏ tới {target}: "
                 "chỉ khôi phục được vào cùng loại cơ sở dữ liệu.")
KEY_MISSING = ("Chưa có tệp khóa {path}. Hãy chép tệp khóa đã cất riêng khi sao lưu vào đó (hoặc "
               "đặt BINHYEN_KEY_FILE trỏ tới nó) rồi chạy lại. Chưa khôi phục gì.")
KEY_UNUSABLE = "{reason} Chưa khôi phục gì."
WRONG_KEY = ("Tệp khóa {path} không phải khóa của bản sao lưu này (dấu khóa {have}…, bản sao lưu "
             "cần {want}…). Chưa khôi phục gì. Hãy đặt BINHYEN_KEY_FILE trỏ tới tệp khóa đã cất "
             "riêng cho cơ sở dữ liệu này.")
KEYS_SHORT = ("Tệp khóa {path} thiếu {count} khóa mà dữ liệu trong bản sao lưu đã dùng (sau một "
              "lần `binhyen keys rotate`): hãy dùng bản sao tệp khóa mới hơn. Chưa khôi phục gì.")
HOLDS_DATA = ("{where} đã có dữ liệu ({tables}): khôi phục sẽ xóa hết chỗ đó. Nếu đúng là muốn "
              "thay bằng bản sao lưu, hãy dừng bot rồi chạy lại với --force.")
NOT_SQLITE = "{path} không phải cơ sở dữ liệu SQLite: không ghi đè. Hãy chọn nơi khôi phục khác."
SCHEMA_TAKEN = ("Bản sao lưu là của schema «{schema}», mà cơ sở dữ liệu đích đã có một schema tên "
                "đó (không phải nơi khôi phục «{target}»): hãy khôi phục vào một cơ sở dữ liệu "
                "khác, hoặc đặt BINHYEN_DATABASE_SCHEMA={schema}.")
RESTORED = ("Đã khôi phục bản sao lưu lúc {created} vào {where}: {tips} tin báo, {persons} người "
            "dùng, {queued} tin đang chờ gửi. Cơ sở dữ liệu đã ở phiên bản mới nhất; giờ có thể "
            "chạy bot.")
