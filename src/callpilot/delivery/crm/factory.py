"""The configured CRM connectors, from ``delivery.crm`` settings. Each SDK is imported only when its
connector is configured (they are the ``crm`` extra)."""

from __future__ import annotations

from callpilot.core.errors import ConfigError
from callpilot.core.settings import CrmSettings
from callpilot.delivery.crm.base import CrmConnector

__all__ = ["build_connectors"]


def build_connectors(settings: CrmSettings) -> list[CrmConnector]:
    connectors: list[CrmConnector] = []
    try:
        if settings.salesforce is not None:
            from callpilot.delivery.crm.salesforce import SalesforceConnector
            connectors.append(SalesforceConnector(settings.salesforce))
        if settings.hubspot is not None:
            from callpilot.delivery.crm.hubspot import HubSpotConnector
            connectors.append(HubSpotConnector(settings.hubspot))
        if settings.zendesk is not None:
            from callpilot.delivery.crm.zendesk import ZendeskConnector
            connectors.append(ZendeskConnector(settings.zendesk))
    except ImportError as exc:
        raise ConfigError(f"a CRM connector is configured but its SDK is not installed ({exc.name}): "
                          "pip install 'callpilot[crm]'") from exc
    return connectors
