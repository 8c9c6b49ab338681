"""Pure rules: no session, no Qt. Each rule lives in one function here."""
