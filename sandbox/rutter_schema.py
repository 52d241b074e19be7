"""Pydantic models of Rutter's create-invoice request body, one set per API version.

2023-03-14 is written from `CreateCreateInvoiceRequest` / `CreateInvoice` of Rutter's official
OpenAPI; 2024-08-31 from the generated `CreateInvoice` zod schema of the 2024-08-31 spec (both
summarized in docs/rutter.md). These models are the project's own copy of Rutter's schema: the sandbox
needs no outside file. What follows the spec exactly:

* required keys: 2023-03-14 invoice `customer_id, due_date, issue_date, currency_code, line_items`,
  each line `total_amount` AND `item`; 2024-08-31 invoice `customer_id, issue_date, currency_code,
  line_items`, each line `total_amount` only;
* JSON types are checked strictly (no "12.34" for a number, no `true` for a number, no `null` where
  the schema has no `null`), `minimum: 0` where the spec has it, the ISO 4217 enum;
* every nested object (`additional_fields`, addresses, line items, `item`, a line's
  `additional_fields`) is closed, as the yaml's `additionalProperties: false` says.

Unknown keys at the top of `invoice` (and beside `invoice` at the root) are NOT rejected: in the yaml
neither `CreateInvoice` nor `CreateCreateInvoiceRequest` has `additionalProperties: false`, so the
schema accepts them, and Rutter's notes say newer 2023-03-14 builds accept more fields
(`account_id`, `class_id`, ...). The sandbox accepts them and reports them as warnings (request log
and the `X-Sandbox-Warnings` response header). For 2024-08-31 the same rule is applied (INFERRED:
the generated zod objects are not `.strict()` at the top either); its nested objects are closed
like 2023-03-14's, which is stricter than zod's default and catches misspelt nested keys. Its
`customer_id` and line `item.id` are `uuid` strings there, and are checked as such.

One deliberate check the yaml does not make: `response_mode`, when present, must be `async` or
`prefer_sync` (the 2024-08-31 enum); the yaml of 2023-03-14 does not declare it at all.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SUPPORTED_VERSIONS = ("2023-03-14", "2024-08-31")

_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYR
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LTL LVL LYD MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR
    MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STD SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD
    USN USS UYI UYU UYW UZS VEF VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XDR XFU XOF XPD XPF XPT XTS
    XXX YER ZAR ZMW
    """
CURRENCY_CODES = frozenset(_ISO_4217.split())


class _SpecModel(BaseModel):
    """Strict JSON types; keys may be absent but not `null` unless listed in `nullable`."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_optional_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields and key not in cls.nullable:
                    raise ValueError(f"'{key}' must not be null")
        return data


class _OpenSpecModel(_SpecModel):
    """Unknown keys are kept (and reported as warnings), as for an object without additionalProperties."""

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)


_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _check_uuid(value: str) -> str:
    """2024-08-31 declares `customer_id` and a line's `item.id` as `uuid` strings."""
    if not re.fullmatch(_UUID, value):
        raise ValueError(f"'{value}' is not a valid uuid")
    return value


def _check_currency(value: str) -> str:
    if value not in CURRENCY_CODES:
        raise ValueError(f"'{value}' is not a supported ISO 4217 currency code")
    return value


# --- 2023-03-14 ---------------------------------------------------------------------------------


class Address20230314(_SpecModel):
    nullable: ClassVar[frozenset[str]] = frozenset(
        {"address1", "address2", "city", "country", "postal_code", "region"}
    )
    type: Literal["billing", "shipping", "po_box", "unknown"]
    address1: str | None
    address2: str | None
    city: str | None
    country: str | None
    postal_code: str | None
    region: str | None


class InvoiceAdditionalFields20230314(_SpecModel):
    addresses: list[Address20230314] | None = None


class LineItem20230314(_SpecModel):
    class Item(_SpecModel):
        id: str | None = None
        quantity: float | None = None
        unit_amount: float | None = None

    class AdditionalFields(_SpecModel):
        rev_rec_end_date: str | None = None
        rev_rec_start_date: str | None = None

    total_amount: float
    item: Item
    account_id: str | None = None
    discount_item_id: str | None = None
    description: str | None = None
    discount_amount: float | None = Field(default=None, ge=0)
    additional_fields: AdditionalFields | None = None


class Invoice20230314(_OpenSpecModel):
    customer_id: str
    due_date: str
    issue_date: str
    currency_code: str
    line_items: list[LineItem20230314]
    payment_terms_id: str | None = None
    subsidiary_id: str | None = None
    document_number: str | None = None
    memo: str | None = None
    additional_fields: InvoiceAdditionalFields20230314 | None = None

    _currency = field_validator("currency_code")(_check_currency)


class CreateInvoiceRequest20230314(_OpenSpecModel):
    invoice: Invoice20230314
    response_mode: Literal["async", "prefer_sync"] | None = None


# --- 2024-08-31 ---------------------------------------------------------------------------------


class Address20240831(_SpecModel):
    nullable: ClassVar[frozenset[str]] = frozenset(
        {"address1", "address2", "address3", "city", "country", "postal_code", "region"}
    )
    type: Literal["billing", "shipping", "po_box", "ship_from", "unknown", "STREET", "POBOX"]
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    city: str | None = None
    country: str | None = None
    postal_code: str | None = None
    region: str | None = None


class InvoiceAdditionalFields20240831(_SpecModel):
    department_id: str | None = None
    location_id: str | None = None
    tax_rate_id: str | None = None
    ship_date: str | None = None
    allow_online_ach_payment: bool | None = None
    allow_online_credit_card_payment: bool | None = None
    billing_email: str | None = None
    discount_amount: float | None = None
    discount_percentage: float | None = None
    internal_memo: str | None = None
    po_number: str | None = None
    shipping_amount: float | None = Field(default=None, ge=0)
    tax_amount: float | None = None
    addresses: list[Address20240831] | None = None


class LineItem20240831(_SpecModel):
    class Item(_SpecModel):
        id: str | None = None
        quantity: float | None = None
        unit_amount: float | None = None

        _id = field_validator("id")(_check_uuid)

    class AdditionalFields(_SpecModel):
        class LinkedSalesOrder(_SpecModel):
            sales_order_line_platform_id: str | None = Field(default=None, pattern=r"^\d+_\d+$")

        rev_rec_start_date: str | None = None
        rev_rec_end_date: str | None = None
        service_date: str | None = None
        discount_percentage: float | None = None
        sales_taxable: bool | None = None
        tax_amount: float | None = Field(default=None, ge=0)
        linked_sales_order: LinkedSalesOrder | None = None

    total_amount: float
    description: str | None = None
    account_id: str | None = None
    class_id: str | None = None
    discount_item_id: str | None = None
    location_id: str | None = None
    tax_rate_id: str | None = None
    discount_amount: float | None = Field(default=None, ge=0)
    item: Item | None = None
    additional_fields: AdditionalFields | None = None


class Invoice20240831(_OpenSpecModel):
    customer_id: str
    issue_date: str
    currency_code: str
    line_items: list[LineItem20240831]
    due_date: str | None = None
    account_id: str | None = None
    class_id: str | None = None
    payment_terms_id: str | None = None
    subsidiary_id: str | None = None
    document_number: str | None = None
    memo: str | None = None
    status: Literal["draft", "submitted", "open"] | None = None
    additional_fields: InvoiceAdditionalFields20240831 | None = None

    _currency = field_validator("currency_code")(_check_currency)
    _customer_id = field_validator("customer_id")(_check_uuid)


class CreateInvoiceRequest20240831(_OpenSpecModel):
    invoice: Invoice20240831
    response_mode: Literal["async", "prefer_sync"] | None = None


CreateInvoiceRequest = CreateInvoiceRequest20230314 | CreateInvoiceRequest20240831

_REQUEST_MODELS: dict[str, type[CreateInvoiceRequest20230314] | type[CreateInvoiceRequest20240831]] = {
    "2023-03-14": CreateInvoiceRequest20230314,
    "2024-08-31": CreateInvoiceRequest20240831,
}


class InvalidBody(Exception):
    """The body breaks the version's schema; `message` names the field(s)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{_location(tuple(item['loc']))}: {message}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def validate_create_body(version: str, body: Any) -> tuple[CreateInvoiceRequest, list[str]]:
    """The parsed body and the warnings about keys the schema does not know; raises InvalidBody."""
    if not isinstance(body, dict):
        raise InvalidBody("body: the request body must be a JSON object")
    model = _REQUEST_MODELS[version]
    try:
        parsed = model.model_validate(body)
    except ValidationError as error:
        raise InvalidBody(_describe(error)) from None
    warnings = [f"unknown key '{key}' ignored at the root" for key in (parsed.model_extra or {})]
    warnings += [f"unknown key 'invoice.{key}' ignored" for key in (parsed.invoice.model_extra or {})]
    return parsed, warnings
