"""Delivering results where people work: webhooks (Standard Webhooks, from an outbox in the event log), email
and CRM connectors. Built in steps (issue 6); see each module."""
