"""CRM connectors (Salesforce, HubSpot, Zendesk) through the vendors' Python SDKs: the wrap-up and the
callback as records, and the customer lookup by phone. Each connector is one module behind ``CrmConnector``."""
