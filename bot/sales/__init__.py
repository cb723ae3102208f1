"""The sales services: quotes, approvals, exchange rates and account transfers.

Every state change of these areas happens here, below the chat: a function takes a `Scope` (who acts, in which
transaction, at what time), changes the database, writes the audit rows and returns a typed outcome, or raises a
refusal from bot.errors. Handlers parse, call one of these and turn the outcome into replies (bot.sales.views);
the CLI calls the same functions as the system user.
"""
