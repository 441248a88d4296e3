"""Joint verification with facilities: cases, requests, decisions, legal deadlines."""
