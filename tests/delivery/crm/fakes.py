"""Test doubles of the CRM vendors' REST APIs, served over real HTTPS with `tls.serve_https(fake.app)`.

Each fake checks request shapes the vendor's API reference documents and answers as the vendor does, so a connector
that sends the wrong shape fails its test. All share `.requests` (every request received), `rate_limit(times,
retry_after)`, `down(times)` and `reject_field(name)`; see `fake_base.FakeVendor`. One module per vendor keeps each
under the house size; this module is the import point.
"""

from tests.delivery.crm.fake_base import FakeVendor, RecordedRequest
from tests.delivery.crm.fake_hubspot import FakeHubSpot
from tests.delivery.crm.fake_salesforce import FakeSalesforce
from tests.delivery.crm.fake_zendesk import FakeZendesk

__all__ = ["FakeHubSpot", "FakeSalesforce", "FakeVendor", "FakeZendesk", "RecordedRequest"]
