"""The demo data's ids (seed/data/demo_charges.json), named once for every tool and test.

tests/devkit checks them against the file.
"""

from __future__ import annotations

ORGANIZATION_ID = "081f69a9-ab4c-4014-b50f-021d9b447f91"
# The demo organization's token at the Rutter stand-in.
ACCESS_TOKEN = "access-sandbox-demo-0001"  # noqa: S105 - the stand-in's demo token

# Demo charge 1: clean, fully reconciled, billable; the template of every copied or generated charge.
CLEAN_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000001"
CLEAN_CHARGE_DOCUMENT_NUMBER = "INV-1001"
SUPPRESSED_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000002"
PRODUCTLESS_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000003"
UNRECONCILED_CUSTOMER_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000004"
UNRECONCILED_ITEM_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000005"
ADJUSTED_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000006"

# The charges that become an invoice, in the order the dev runner offers them.
BILLABLE_CHARGE_IDS = (CLEAN_CHARGE_ID, SUPPRESSED_CHARGE_ID, PRODUCTLESS_CHARGE_ID, ADJUSTED_CHARGE_ID)


def demo_charge_id(number: int) -> str:
    """The id of demo charge `number` (1 to 6), or of a charge that looks like one but is not there."""
    return f"6f0c1a2e-1111-4c1e-9a11-{number:012d}"


# The Rutter stand-in's fixed credentials (`python -m sandbox` defaults).
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the local stand-in's fixed credentials
