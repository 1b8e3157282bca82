"""Bình Yên: a chatbot for Vietnam's self-managed neighbourhood groups and their commune police."""
