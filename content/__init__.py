"""Texts the bot speaks and the campaign calendar. Every sentence a user reads lives here or in
the strings block at the top of its feature's handler module."""
