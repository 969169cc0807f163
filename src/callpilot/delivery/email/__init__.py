"""The summary email to the agent: the message, the SMTP sender, and the outbox destination."""
