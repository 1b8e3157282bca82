"""Every sentence the bot says, one catalogue per feature (`start`, `groups`, `people`,
`broadcasts`, `tips`, `campaigns`, …; the engine's own in `texts`, the channels' in `channels`),
and the campaign calendar. `binhyen content check` finds an entry nothing uses and a name used
but missing; `tests/unit/test_sentences_in_content.py` finds a sentence left outside."""
