"""Messenger plug-ins. `base` is the contract the core speaks; each other module is one messenger."""
