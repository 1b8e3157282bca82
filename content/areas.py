"""Every sentence about the area tree, for whoever imports it with `binhyen areas import` and
looks areas up by code (`bot/services/areas.py`): the refusal names the rows and what is wrong
with each, in the file's own words (code, name, level)."""

from __future__ import annotations

IMPORT_REFUSED = "Không nhập gì cả, vì tệp có lỗi:"
IMPORT_LINE = "Dòng {line}: {reason}"
IMPORT_MORE = "… và {count} lỗi nữa."
UNREADABLE = "Không đọc được tệp {path}: {error}"
BAD_YAML = "Tệp YAML hỏng: {error}"
YAML_NOT_A_LIST = "Tệp YAML phải là một danh sách khu vực (hoặc có khóa 'areas')."

# why one row cannot be imported
NOT_AN_AREA = "không phải một khu vực (cần code, name, level)"
NO_CODE = "thiếu mã (code)"
CODE_TWICE = "mã {code} xuất hiện hai lần"
NO_NAME = "thiếu tên (name)"
UNKNOWN_LEVEL = "cấp '{level}' không có; dùng một trong: {known}"
OWN_PARENT = "khu vực không thể là cha của chính nó"
NO_PARENT = "không tìm thấy khu vực cha {parent}"
LEVEL_UNDER = "cấp '{level}' không thể nằm dưới cấp '{parent_level}'"

NO_SUCH_CODE = "Không có khu vực mã {code}."

# the police of a commune or ward, named after it: «Công an xã Bình Yên», «Công an phường Bến
# Thành» (the unit word in lower case, as Vietnamese writes it inside a name)
POLICE_OF = "Công an {place}"
UNIT_WORDS = ("Xã", "Phường", "Thị trấn", "Đặc khu")
UNKNOWN_UNIT = "xã"  # the place, when the area tree no longer has it

# a file row whose code is already an area of another level (often a bare number clashing
# with an official code: «08» is a province)
LEVEL_CHANGE = "mã {code} đã là {name} (cấp '{level}'); dùng mã khác"

# the official list (`binhyen areas seed`)
PROVINCE_WORD = "Tỉnh"  # put before a province's bare name: «Tỉnh Tuyên Quang»
CITY_WORD = "Thành phố"  # a centrally run city's name already starts with it
NO_SUCH_PROVINCE = (
    "Không có tỉnh, thành phố «{typed}» trong danh sách sau sắp xếp năm 2025. Gõ tên (có dấu "
    "hoặc không) hoặc mã hai chữ số, ví dụ «Tuyên Quang» hoặc «08»."
)
SEED_REFUSED = "Không nạp gì cả, vì cây khu vực đã dùng những mã này cho khu vực cấp khác:"
SEED_CLASH = "mã {code}: {name} (cấp '{level}')"
