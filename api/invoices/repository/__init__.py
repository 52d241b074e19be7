"""The invoice flow's data access: Prisma client calls (`prisma`), and the few statements a Prisma
Client Python user would also write by hand (lease times on the database's clock, the request's
insert with its document-number look-up, the one-statement write-back), each saying why.

charges.py reads charges, requests.py records and leases requests, invoices.py writes back and
reads the accounting invoices; callers use them through this package (`repository.load_invoice`).
"""

from api.invoices.repository.charges import (
    ChargeState as ChargeState,
)
from api.invoices.repository.charges import (
    DocumentNumberHolders as DocumentNumberHolders,
)
from api.invoices.repository.charges import (
    document_number_holders as document_number_holders,
)
from api.invoices.repository.charges import (
    load_charge_state as load_charge_state,
)
from api.invoices.repository.invoices import (
    StoredInvoice as StoredInvoice,
)
from api.invoices.repository.invoices import (
    claim_email as claim_email,
)
from api.invoices.repository.invoices import (
    claim_email_resend as claim_email_resend,
)
from api.invoices.repository.invoices import (
    complete_request as complete_request,
)
from api.invoices.repository.invoices import (
    completed_requests_with_unsent_email as completed_requests_with_unsent_email,
)
from api.invoices.repository.invoices import (
    load_invoice as load_invoice,
)
from api.invoices.repository.invoices import (
    set_email_outcome as set_email_outcome,
)
from api.invoices.repository.requests import (
    CLIENT_KEY_USED as CLIENT_KEY_USED,
)
from api.invoices.repository.requests import (
    COMPLETED as COMPLETED,
)
from api.invoices.repository.requests import (
    DOCUMENT_NUMBER_HELD as DOCUMENT_NUMBER_HELD,
)
from api.invoices.repository.requests import (
    FAILED as FAILED,
)
from api.invoices.repository.requests import (
    PENDING as PENDING,
)
from api.invoices.repository.requests import (
    claim_request as claim_request,
)
from api.invoices.repository.requests import (
    fail_request as fail_request,
)
from api.invoices.repository.requests import (
    get_request as get_request,
)
from api.invoices.repository.requests import (
    get_request_by_client_key as get_request_by_client_key,
)
from api.invoices.repository.requests import (
    insert_request as insert_request,
)
from api.invoices.repository.requests import (
    prune_idempotency_keys as prune_idempotency_keys,
)
from api.invoices.repository.requests import (
    record_job_id as record_job_id,
)
from api.invoices.repository.requests import (
    release_request as release_request,
)
from api.invoices.repository.requests import (
    renew_lease as renew_lease,
)
from api.invoices.repository.requests import (
    request_body as request_body,
)
