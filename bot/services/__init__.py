"""The rules of Bình Yên. Nothing here knows which messenger it serves (a ruff rule enforces it)."""
