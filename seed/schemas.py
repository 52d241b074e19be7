"""Input models: one streamOS charge in the nested API shape (`uac_invoice` with its includes).

The shape is what the streamOS backend serializes (docs/data-model.md): Decimal columns
and BigInt `sort_order` as strings, dates as ISO strings, a uac_customer's addresses under
`addresses` (TS backend) or `uac_address` (take-home schema). Fields our tables lack (`po_number`,
back-relations, ...) are ignored.

Absent versus null follows the database: a field left out takes the column's default (so a missing
`suppress_line_item` is `false`), an explicit null stores NULL where the column allows it (so
`"suppress_line_item": null` stays null, which the invoice filter treats as "not billable").
Required enum columns without a database default get a documented fallback when absent or null:
`uac_customer.status` ACTIVE, `uac_item.status` active, `uac_item.type` service,
`uac_address.type` unknown (as the streamOS code reads it), `invoice_adjustment.adjustment_reason`
OTHER, `invoice_adjustment.adjusted_by` "unknown", `invoice_adjustment_line_item.action` modify.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.values import as_utc, is_canonical_uuid

ReconciliationStatus = Literal["MATCHED", "UNMATCHED", "REQUIRES_CONFIRMATION"]
CustomerStatus = Literal["ACTIVE", "INACTIVE", "UNKNOWN"]
Currency = Literal["USD", "CAD", "EUR", "GBP"]
AddressType = Literal["billing", "shipping", "po_box", "unknown"]
ItemStatus = Literal["active", "archived", "unknown"]
ItemType = Literal["inventory", "non_inventory", "service", "discount", "unknown"]
AdjustmentAction = Literal["add", "delete", "modify"]
AdjustmentReason = Literal[
    "INACCURATE_EXPERT_RATE",
    "EXPERT_NOT_HELPFUL_FC",
    "EXPERT_NOT_HELPFUL_PC",
    "CALL_CANCELED_INITIATED",
    "INTERNAL_PROJECT_SPECIAL_PROMO",
    "TECHNICAL_ISSUE_QUALITY",
    "TEGUS_EMPLOYEE_ERROR",
    "MULITPLE_RESCHEDULES_BY_EXPERT",
    "PREARRANGED_30_MIN_CALL",
    "EXPERT_1_HOUR_MINIMUM",
    "MISREPRESENTED_EXPERT",
    "TRIAL_PERIOD_CALL",
    "ROUND_TO_15_MIN",
    "ROUND_TO_30_MIN",
    "ROUND_TO_45_MIN",
    "ROUND_TO_60_MIN",
    "ROUND_TO_75_MIN",
    "ROUND_TO_90_MIN",
    "OTHER",
]


def _uuid(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and is_canonical_uuid(value):
        return value.lower()
    raise PydanticCustomError("uuid", "Input should be a UUID like 6f0c1a2e-1111-4c1e-9a11-000000000001")


def _iso_datetime_only(value: object) -> object:
    # Pydantic would also take numbers as Unix times; the API only ever sends ISO strings.
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO-8601 date-time string")


def _utc_milliseconds(value: datetime) -> datetime:
    # A zone-less time is UTC (Prisma's convention); the columns keep milliseconds.
    value = as_utc(value)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


Uuid = Annotated[str, BeforeValidator(_uuid)]
Timestamp = Annotated[datetime, BeforeValidator(_iso_datetime_only), AfterValidator(_utc_milliseconds)]
# Decimal(10, 2) columns: exact, refused rather than rounded when they do not fit.
Money = Annotated[Decimal, Field(max_digits=10, decimal_places=2)]
LongDecimal = Annotated[Decimal, Field(max_digits=65, decimal_places=30)]
Int4 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
BigInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


def _null_as(default: object) -> BeforeValidator:
    """A null in the file means the fallback, for NOT NULL columns."""
    return BeforeValidator(lambda value: default if value is None else value)


class SeedModel(BaseModel):
    """Ignores unknown fields; numbers are accepted where the column is text."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        allow_inf_nan=False,
    )


def _same_id(owner: SeedModel, id_field: str, nested_field: str, nested_id_field: str) -> None:
    """Fills `id_field` from the nested object when left out; refuses two different ids."""
    nested = getattr(owner, nested_field)
    if nested is None:
        return
    nested_id = getattr(nested, nested_id_field)
    if id_field not in owner.model_fields_set:
        setattr(owner, id_field, nested_id)
        return
    given = getattr(owner, id_field)
    if given != nested_id:
        raise ValueError(
            f"{id_field} {given!r} does not match {nested_field}.{nested_id_field} {nested_id!r}"
        )


class OrganizationIn(SeedModel):
    """`organization`: the fields the invoice flow reads, plus the business identity."""

    id: Uuid
    business_name: str | None = None
    business_email: str | None = None
    business_phone: str | None = None
    business_website: str | None = None
    business_address_1: str | None = None
    business_address_2: str | None = None
    business_zip_code: str | None = None
    business_city: str | None = None
    uac_access_token: str | None = None
    uac_platform: str | None = None
    uac_realm_id: str | None = None
    uac_connection_id: str | None = None
    uac_business_id: str | None = None
    uac_user_id: str | None = None
    uac_token_expires_in: Int4 | None = None
    agent_status: bool | None = False
    uac_email_external_send_enabled: bool | None = False
    invoice_create_override: bool | None = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class AddressIn(SeedModel):
    """`uac_address` of an accounting customer; without an id it is keyed by (customer, type)."""

    id: Uuid | None = None
    uac_customer_id: Uuid | None = None
    uac_vendor_id: Uuid | None = None
    organization_id: Uuid | None = None
    type: Annotated[AddressType, _null_as("unknown")] = "unknown"
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    country: str | None = None
    postal_code: str | None = None
    region: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


def _none_as_empty(value: object) -> object:
    return [] if value is None else value


class UacCustomerIn(SeedModel):
    """`uac_customer`: the accounting customer (its `provider_entity_id` is the Rutter id)."""

    id: Uuid
    organization_id: Uuid | None = None
    provider_entity_id: str | None = None
    platform_id: str | None = None
    status: Annotated[CustomerStatus, _null_as("ACTIVE")] = "ACTIVE"
    contact_name: str | None = None
    currency_code: Currency | None = None
    customer_name: str | None = None
    email: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    obj_type: Annotated[str, _null_as("uac_customer")] = Field(default="uac_customer", alias="objType")
    subsidiary_id: Uuid | None = None
    source_type: Annotated[str, _null_as("ACCOUNTING")] = "ACCOUNTING"
    addresses: Annotated[list[AddressIn], BeforeValidator(_none_as_empty)] = Field(
        default_factory=list, validation_alias=AliasChoices("addresses", "uac_address")
    )


class CustomerIn(SeedModel):
    """`customer`: the streamOS customer a charge bills (`uac_invoice.stream_customer`)."""

    customer_id: Uuid
    customer_name: str | None = None
    customer_email: str | None = None
    additional_fields: Any = None
    obj_type: Annotated[str, _null_as("customer")] = Field(default="customer", alias="objType")
    organization_id: Uuid | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    uac_customer_id: Uuid | None = None
    reconciliation_status: ReconciliationStatus | None = "UNMATCHED"
    is_vendor: bool | None = False
    uac_vendor_id: Uuid | None = None
    uac_customer: UacCustomerIn | None = None

    @model_validator(mode="after")
    def _uac_customer_id_matches(self) -> CustomerIn:
        _same_id(self, "uac_customer_id", "uac_customer", "id")
        return self


class UacItemIn(SeedModel):
    """`uac_item`: the accounting item (its `provider_entity_id` is the Rutter id)."""

    id: Uuid
    provider_entity_id: str | None = None
    organization_id: Uuid | None = None
    platform_id: str | None = None
    bill_item_id: Uuid | None = None
    invoice_item_id: Uuid | None = None
    status: Annotated[ItemStatus, _null_as("active")] = "active"
    type: Annotated[ItemType, _null_as("service")] = "service"
    code: str | None = None
    name: str | None = None
    quantity_on_hand: Int4 | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ProductIn(SeedModel):
    """`product`: a streamOS product, reconciled when it points at a `uac_item`."""

    product_id: Uuid
    product_name: str | None = None
    description: str | None = None
    organization_id: Uuid | None = None
    unit_price: float | None = None
    is_addon: bool | None = False
    additional_fields: Any = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    reason: str | None = None
    uac_item_id: Uuid | None = None
    reconciliation_status: ReconciliationStatus | None = "UNMATCHED"
    true_product: bool | None = True
    is_vendor: bool | None = False
    uac_item: UacItemIn | None = None

    @model_validator(mode="after")
    def _uac_item_id_matches(self) -> ProductIn:
        _same_id(self, "uac_item_id", "uac_item", "id")
        return self


class InvoiceAdjustmentIn(SeedModel):
    """`invoice_adjustment` of a charge, possibly with its adjustment line items."""

    invoice_adjustment_id: Uuid
    organization_id: Uuid | None = None
    invoice_id: Uuid | None = None
    adjusted_by: Annotated[str, _null_as("unknown")] = "unknown"
    adjustment_date: Timestamp | None = None
    customer_id: Uuid | None = None
    customer_name: str | None = None
    total_amount: float | None = None
    invoice_date: Timestamp | None = None
    approved_by: str | None = None
    original_value: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    adjustment_reason: Annotated[AdjustmentReason, _null_as("OTHER")] = "OTHER"
    stream_customer_id: Uuid | None = None
    reason: str | None = None
    line_items: Annotated[list[InvoiceAdjustmentLineItemIn], BeforeValidator(_none_as_empty)] = Field(
        default_factory=list,
        validation_alias=AliasChoices("invoice_adjustment_line_item", "line_item_adjustments"),
    )


class InvoiceAdjustmentLineItemIn(SeedModel):
    """`invoice_adjustment_line_item`: the latest one (by `created_at`) overrides its line."""

    invoice_adjustment_line_item_id: Uuid
    organization_id: Uuid | None = None
    customer_sf_id: str | None = None
    action: Annotated[AdjustmentAction, _null_as("modify")] = "modify"
    invoice_line_item_id: Uuid | None = None
    invoice_adjustment_id: Uuid | None = None
    item_id: Uuid | None = None
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    prev_quantity: float | None = None
    prev_unit_price: float | None = None
    prev_total_amount: float | None = None
    total_amount: float | None = None
    date_created: Timestamp | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    amount_to_adjust: float | None = None
    department_id: str | None = None
    invoice_adjustment: InvoiceAdjustmentIn | None = None

    @model_validator(mode="after")
    def _adjustment_id_matches(self) -> InvoiceAdjustmentLineItemIn:
        _same_id(self, "invoice_adjustment_id", "invoice_adjustment", "invoice_adjustment_id")
        return self


class LineItemIn(SeedModel):
    """`uac_line_item` of a charge, with its product and adjustment line items."""

    id: Uuid
    uac_invoice_id: Uuid | None = None
    uac_bill_id: Uuid | None = None
    uac_bill_payments_id: Uuid | None = None
    uac_purchase_order_id: Uuid | None = None
    provider_entity_id: str | None = None
    description: str | None = None
    account_id: str | None = None
    platform_id: str | None = None
    class_id: str | None = None
    customer_id: str | None = None
    department_id: str | None = None
    item_id: str | None = None
    location_id: str | None = None
    tax_rate_id: str | None = None
    amount: float | None = None
    discount_percentage: float | None = None
    discount_amount: float | None = None
    quantity: float | None = None
    sub_total: float | None = None
    allocated_amount: LongDecimal | None = None
    allocated_at: str | None = None
    tax_amount: float | None = None
    unit_amount: float | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    total_amount: Money | None = None
    product_id: Uuid | None = None
    pricer_index: Int4 | None = None
    contract_id: Uuid | None = None
    suppress_line_item: bool | None = False
    sort_order: Annotated[BigInt, _null_as(0)] = 0
    invoice_adjustment_line_item: Annotated[
        list[InvoiceAdjustmentLineItemIn], BeforeValidator(_none_as_empty)
    ] = Field(default_factory=list)
    product: ProductIn | None = None

    @model_validator(mode="after")
    def _product_id_matches(self) -> LineItemIn:
        _same_id(self, "product_id", "product", "product_id")
        return self


class ChargeIn(SeedModel):
    """`uac_invoice`: one charge with its organization, customer, line items and adjustments."""

    id: Uuid
    organization_id: Uuid | None = None
    organization: OrganizationIn | None = None
    provider_entity_id: str | None = None
    platform_id: str | None = None
    account_id: str | None = None
    customer_id: str | None = None
    stream_customer_id: Uuid | None = None
    subsidiary_id: str | None = None
    issue_date: Timestamp | None = None
    due_date: Timestamp | None = None
    period_start_date: Timestamp | None = None
    period_end_date: Timestamp | None = None
    payment_terms: Int4 | None = None
    contract_id: str | None = None
    memo: str | None = None
    document_number: str | None = None
    currency_code: str | None = None
    amount_due: Money | None = None
    total_amount: Money | None = None
    sub_total: Money | None = None
    tax_amount: Money | None = None
    total_discount: Money | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    synced: Annotated[bool, _null_as(False)] = False
    pricer_invoice_id: Uuid | None = None
    term: str | None = "30"
    platform_url: str | None = None
    is_vendor: bool | None = False
    stream_customer: CustomerIn | None = None
    line_items: Annotated[list[LineItemIn], BeforeValidator(_none_as_empty)] = Field(default_factory=list)
    adjustments: Annotated[list[InvoiceAdjustmentIn], BeforeValidator(_none_as_empty)] = Field(
        default_factory=list, validation_alias=AliasChoices("invoice_adjustment", "adjustments")
    )

    @model_validator(mode="after")
    def _ids_match_nested(self) -> ChargeIn:
        _same_id(self, "organization_id", "organization", "id")
        _same_id(self, "stream_customer_id", "stream_customer", "customer_id")
        if self.organization_id is None:
            raise ValueError("organization_id is required (or a nested organization with its id)")
        return self

    @property
    def owner_id(self) -> str:
        """The charge's organization id (always present once validated)."""
        assert self.organization_id is not None
        return self.organization_id


InvoiceAdjustmentIn.model_rebuild()
