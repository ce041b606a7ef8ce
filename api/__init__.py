"""The HTTP API (FastAPI): every human step enters here, validated and authorised."""
