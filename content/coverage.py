"""Every sentence about outreach coverage: report periods, coverage views and reports
(`bot/services/coverage/`, `handlers/coverage.py`). Leaders, commune admins and police read
most of these; residents read the registration answers.
"""

from __future__ import annotations

PERIOD_UNKNOWN = "không hiểu kỳ {text!r}: viết 2026, 2026H1, 2026H2 hoặc 2026-01-01..2026-03-31"
PERIOD_NO_SUCH_DAY = "ngày không có thật: {text}"
PERIOD_BACKWARDS = "ngày cuối trước ngày đầu: {text}"
