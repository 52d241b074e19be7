"""API keys: who may call the service, and which organization's charges each caller sees."""
