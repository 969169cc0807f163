"""The outbox, in the event log's database: delivery rows written from the log before anything is sent, each
sent to its destination (a webhook, the agent's email, a CRM) with retries, dead letters and redelivery."""
