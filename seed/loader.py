"""Loads charges in the streamOS API shape into the database: validate everything, then write
everything in one transaction, parents first, one batched upsert per table."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from prisma import Prisma, errors
from seed import repository
from seed.repository import Connection, Table
from seed.schemas import (
    ChargeIn,
    CustomerIn,
    InvoiceAdjustmentIn,
    InvoiceAdjustmentLineItemIn,
    LineItemIn,
    OrganizationIn,
    ProductIn,
    UacCustomerIn,
    UacItemIn,
)

Progress = Callable[[str], None]

# Above this many charges the loader reports progress, every PROGRESS_EVERY charges.
PROGRESS_THRESHOLD = 100
PROGRESS_EVERY = 100


class SeedError(Exception):
    """Anything that stops a load; the message is for people and never holds a secret."""


class PayloadError(SeedError):
    """The charges are malformed or inconsistent; nothing was written."""


class LoadConflictError(SeedError):
    """The database holds a row that clashes with the charges (a unique column); nothing was written."""


def print_progress(message: str) -> None:
    """The default progress report: one line on stderr."""
    print(f"seed: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class TableCount:
    """What the load did to one table."""

    table: str
    rows: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


@dataclass(frozen=True)
class LoadSummary:
    """Counts per table, in the order the tables were written."""

    charges: int
    tables: tuple[TableCount, ...]

    def __getitem__(self, table: str) -> TableCount:
        for count in self.tables:
            if count.table == table:
                return count
        raise KeyError(table)

    def rows(self) -> dict[str, int]:
        """Rows in the payload per table (distinct records)."""
        return {count.table: count.rows for count in self.tables}

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        width = max(len(count.table) for count in self.tables)
        lines = [f"Loaded {self.charges} charge{'s' if self.charges != 1 else ''}."]
        for count in self.tables:
            detail = f"{count.inserted} new, {count.updated} updated, {count.unchanged} unchanged"
            if count.deleted:
                detail += f", {count.deleted} deleted"
            lines.append(f"  {count.table:<{width}}  {count.rows:>6}  ({detail})")
        return lines


# --------------------------------------------------------------------------------------------
# Reading and validating
# --------------------------------------------------------------------------------------------


def decode_json(text: str | bytes) -> Any:
    """JSON with exact decimals: numbers with a fraction become Decimal, never float."""
    return json.loads(text, parse_float=Decimal)


def read_charges_file(path: Path) -> Any:
    """The parsed content of a charges file."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise PayloadError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return decode_json(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{path} is not valid JSON: {exc}") from None


def demo_payload() -> Any:
    """The bundled demo charges (seed/data/demo_charges.json)."""
    return decode_json(resources.files("seed").joinpath("data/demo_charges.json").read_bytes())


def _unwrap(value: Any) -> Any:
    # The streamOS API may answer {"data": ...} (or {"status": ..., "data": ...}).
    while isinstance(value, dict) and "data" in value and "id" not in value:
        value = value["data"]
    return value


_SECRET_HINTS = ("token", "secret", "password", "key")


def _location(root: str, loc: Iterable[int | str]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _describe(root: str, error: ErrorDetails) -> str:
    loc = error["loc"]
    message = error["msg"].removeprefix("Value error, ")
    text = f"{_location(root, loc)}: {message}"
    field_name = str(loc[-1]) if loc else ""
    value = error.get("input")
    shows_value = error["type"] != "missing" and not isinstance(value, dict | list)
    if shows_value and not any(hint in field_name.lower() for hint in _SECRET_HINTS):
        shown = repr(str(value) if isinstance(value, Decimal) else value)
        text += f" (got {shown[:77] + '...' if len(shown) > 80 else shown})"
    return text


def parse_charges(payload: Any, *, progress: Progress | None = None) -> list[tuple[str, ChargeIn]]:
    """Validates every charge of `payload`; returns (record path, charge) pairs.

    `payload` is one charge, a list of charges, or either wrapped in {"data": ...}. Raises
    PayloadError naming the first bad record and field (and how many other problems there are).
    """
    payload = _unwrap(payload)
    if isinstance(payload, list):
        items = [(f"charges[{index}]", _unwrap(item)) for index, item in enumerate(payload)]
    elif isinstance(payload, dict):
        items = [("charge", payload)]
    else:
        raise PayloadError(
            'expected a charge object, a JSON array of charges, or either wrapped in {"data": ...}; '
            f"got {type(payload).__name__}"
        )
    report = progress if progress is not None and len(items) > PROGRESS_THRESHOLD else None
    charges: list[tuple[str, ChargeIn]] = []
    problems: list[str] = []
    for number, (path, item) in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"{path}: expected a charge object, got {type(item).__name__}")
            continue
        try:
            charges.append((path, ChargeIn.model_validate(item)))
        except ValidationError as exc:
            charge_id = item.get("id")
            suffix = f" [charge {charge_id}]" if isinstance(charge_id, str) and len(charge_id) <= 64 else ""
            problems.extend(_describe(path, error) + suffix for error in exc.errors())
        if report is not None and (number % PROGRESS_EVERY == 0 or number == len(items)):
            report(f"validated {number}/{len(items)} charges")
    if problems:
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        raise PayloadError(problems[0] + (more if len(problems) > 1 else ""))
    return charges


# --------------------------------------------------------------------------------------------
# From nested charges to rows, with the referential checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """An id the payload uses without giving the record: it must be in the file or the database."""

    path: str
    target: Table


@dataclass
class LoadPlan:
    """The rows to write per table, deduplicated by key (the last occurrence wins)."""

    rows: dict[str, dict[Any, dict[str, Any]]] = field(
        default_factory=lambda: {table.name: {} for table in repository.TABLES}
    )
    paths: dict[tuple[str, Any], str] = field(default_factory=dict)
    referenced_organizations: set[str] = field(default_factory=set)
    references: dict[tuple[str, str], _Reference] = field(default_factory=dict)
    # Charges whose payload lists their line items: stored lines not listed are removed.
    charges_with_lines: list[str] = field(default_factory=list)
    charge_count: int = 0

    def put(self, table: Table, key: Any, row: dict[str, Any], path: str) -> None:
        self.rows[table.name][key] = row
        self.paths[(table.name, key)] = path

    def has(self, table: Table, key: Any) -> bool:
        return key in self.rows[table.name]

    def refer(self, table: Table, key: str | None, path: str) -> None:
        if key is not None:
            self.references.setdefault((table.name, key), _Reference(path, table))


def _row(record: Any, *nested: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = record.model_dump(by_alias=True, exclude=set(nested))
    row.update(values)
    return row


class _Planner:
    """Walks the validated charges once, building the LoadPlan and refusing inconsistencies."""

    def __init__(self) -> None:
        self.plan = LoadPlan()
        self._charge_paths: dict[str, str] = {}
        self._line_paths: dict[str, str] = {}
        # The line item ids of the charge being walked.
        self._charge_line_ids: set[str] = set()

    def charge(self, path: str, charge: ChargeIn) -> None:
        plan = self.plan
        if charge.id in self._charge_paths:
            raise PayloadError(
                f"{path}.id: charge {charge.id} appears twice (also {self._charge_paths[charge.id]})"
            )
        self._charge_paths[charge.id] = path
        organization_id = charge.owner_id
        if charge.organization is not None:
            self.organization(charge.organization, f"{path}.organization")
        plan.referenced_organizations.add(organization_id)
        if charge.stream_customer is not None:
            self.customer(charge.stream_customer, f"{path}.stream_customer", organization_id)
        else:
            plan.refer(repository.CUSTOMER, charge.stream_customer_id, f"{path}.stream_customer_id")
        plan.put(
            repository.UAC_INVOICE,
            charge.id,
            _row(
                charge,
                "organization",
                "stream_customer",
                "line_items",
                "adjustments",
                organization_id=organization_id,
            ),
            path,
        )
        self._charge_line_ids = {line.id for line in charge.line_items}
        for index, line in enumerate(charge.line_items):
            self.line_item(line, f"{path}.line_items[{index}]", charge)
        if "line_items" in charge.model_fields_set:
            plan.charges_with_lines.append(charge.id)
        for index, adjustment in enumerate(charge.adjustments):
            self.adjustment(adjustment, f"{path}.invoice_adjustment[{index}]", charge)
        plan.charge_count += 1

    def organization(self, organization: OrganizationIn, path: str) -> None:
        self.plan.put(repository.ORGANIZATION, organization.id, _row(organization), path)

    def customer(self, customer: CustomerIn, path: str, organization_id: str) -> None:
        owner = customer.organization_id or organization_id
        self.plan.referenced_organizations.add(owner)
        if customer.uac_customer is not None:
            self.uac_customer(customer.uac_customer, f"{path}.uac_customer", owner)
        else:
            self.plan.refer(repository.UAC_CUSTOMER, customer.uac_customer_id, f"{path}.uac_customer_id")
        self.plan.put(
            repository.CUSTOMER,
            customer.customer_id,
            _row(customer, "uac_customer", organization_id=owner),
            path,
        )

    def uac_customer(self, uac_customer: UacCustomerIn, path: str, organization_id: str) -> None:
        owner = uac_customer.organization_id or organization_id
        self.plan.referenced_organizations.add(owner)
        self.plan.put(
            repository.UAC_CUSTOMER,
            uac_customer.id,
            _row(uac_customer, "addresses", organization_id=owner),
            path,
        )
        seen: dict[str, str] = {}
        for index, address in enumerate(uac_customer.addresses):
            address_path = f"{path}.addresses[{index}]"
            if address.uac_customer_id is not None and address.uac_customer_id != uac_customer.id:
                raise PayloadError(
                    f"{address_path}.uac_customer_id: {address.uac_customer_id} is not the id of the "
                    f"uac_customer it is listed under ({uac_customer.id})"
                )
            if address.type in seen:
                raise PayloadError(
                    f"{address_path}.type: a second {address.type!r} address for uac_customer "
                    f"{uac_customer.id} (also {seen[address.type]})"
                )
            seen[address.type] = address_path
            row = _row(
                address, uac_customer_id=uac_customer.id, organization_id=address.organization_id or owner
            )
            self.plan.put(repository.UAC_ADDRESS, (uac_customer.id, address.type), row, address_path)

    def product(self, product: ProductIn, path: str, organization_id: str) -> None:
        owner = product.organization_id or organization_id
        self.plan.referenced_organizations.add(owner)
        if product.uac_item is not None:
            self.uac_item(product.uac_item, f"{path}.uac_item", owner)
        else:
            self.plan.refer(repository.UAC_ITEM, product.uac_item_id, f"{path}.uac_item_id")
        self.plan.put(
            repository.PRODUCT, product.product_id, _row(product, "uac_item", organization_id=owner), path
        )

    def uac_item(self, item: UacItemIn, path: str, organization_id: str) -> None:
        owner = item.organization_id or organization_id
        self.plan.referenced_organizations.add(owner)
        self.plan.put(repository.UAC_ITEM, item.id, _row(item, organization_id=owner), path)

    def line_item(self, line: LineItemIn, path: str, charge: ChargeIn) -> None:
        if line.id in self._line_paths:
            raise PayloadError(
                f"{path}.id: line item {line.id} appears twice (also {self._line_paths[line.id]})"
            )
        self._line_paths[line.id] = path
        if line.uac_invoice_id is not None and line.uac_invoice_id != charge.id:
            raise PayloadError(
                f"{path}.uac_invoice_id: {line.uac_invoice_id} is not the id of its charge ({charge.id})"
            )
        if line.product is not None:
            self.product(line.product, f"{path}.product", charge.owner_id)
        else:
            self.plan.refer(repository.PRODUCT, line.product_id, f"{path}.product_id")
        self.plan.put(
            repository.UAC_LINE_ITEM,
            line.id,
            _row(line, "invoice_adjustment_line_item", "product", uac_invoice_id=charge.id),
            path,
        )
        for index, adjustment_line in enumerate(line.invoice_adjustment_line_item):
            adjustment_path = f"{path}.invoice_adjustment_line_item[{index}]"
            if adjustment_line.invoice_line_item_id not in (None, line.id):
                raise PayloadError(
                    f"{adjustment_path}.invoice_line_item_id: {adjustment_line.invoice_line_item_id} is not "
                    f"the id of the line item it is listed under ({line.id})"
                )
            self.adjustment_line(adjustment_line, adjustment_path, charge, invoice_line_item_id=line.id)

    def adjustment(self, adjustment: InvoiceAdjustmentIn, path: str, charge: ChargeIn) -> None:
        if adjustment.invoice_id is not None and adjustment.invoice_id != charge.id:
            raise PayloadError(
                f"{path}.invoice_id: {adjustment.invoice_id} is not the id of its charge ({charge.id})"
            )
        owner = adjustment.organization_id or charge.owner_id
        self.plan.referenced_organizations.add(owner)
        self.plan.put(
            repository.INVOICE_ADJUSTMENT,
            adjustment.invoice_adjustment_id,
            _row(adjustment, "line_items", invoice_id=charge.id, organization_id=owner),
            path,
        )
        for index, adjustment_line in enumerate(adjustment.line_items):
            line_path = f"{path}.invoice_adjustment_line_item[{index}]"
            given_adjustment_id = adjustment_line.invoice_adjustment_id
            if given_adjustment_id not in (None, adjustment.invoice_adjustment_id):
                raise PayloadError(
                    f"{line_path}.invoice_adjustment_id: {given_adjustment_id} is not the id "
                    f"of the adjustment it is listed under ({adjustment.invoice_adjustment_id})"
                )
            target = adjustment_line.invoice_line_item_id
            if target is not None and target not in self._charge_line_ids:
                raise PayloadError(
                    f"{line_path}.invoice_line_item_id: {target} is not a line item of charge {charge.id}"
                )
            self.adjustment_line(
                adjustment_line,
                line_path,
                charge,
                invoice_line_item_id=target,
                invoice_adjustment_id=adjustment.invoice_adjustment_id,
            )

    def adjustment_line(
        self,
        adjustment_line: InvoiceAdjustmentLineItemIn,
        path: str,
        charge: ChargeIn,
        *,
        invoice_line_item_id: str | None,
        invoice_adjustment_id: str | None = None,
    ) -> None:
        owner = adjustment_line.organization_id or charge.owner_id
        self.plan.referenced_organizations.add(owner)
        adjustment_id = invoice_adjustment_id or adjustment_line.invoice_adjustment_id
        if adjustment_line.invoice_adjustment is not None:
            self.adjustment(adjustment_line.invoice_adjustment, f"{path}.invoice_adjustment", charge)
        else:
            self.plan.refer(repository.INVOICE_ADJUSTMENT, adjustment_id, f"{path}.invoice_adjustment_id")
        row = _row(
            adjustment_line,
            "invoice_adjustment",
            organization_id=owner,
            invoice_line_item_id=invoice_line_item_id,
            invoice_adjustment_id=adjustment_id,
        )
        self.plan.put(
            repository.INVOICE_ADJUSTMENT_LINE_ITEM,
            adjustment_line.invoice_adjustment_line_item_id,
            row,
            path,
        )


# Columns unique in the database besides the key: (table, columns) -> what to call them.
_UNIQUE_COLUMNS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (repository.ORGANIZATION, ("uac_access_token",)),
    (repository.ORGANIZATION, ("uac_realm_id",)),
    (repository.ORGANIZATION, ("uac_connection_id",)),
    (repository.UAC_CUSTOMER, ("provider_entity_id",)),
    (repository.UAC_ITEM, ("organization_id", "provider_entity_id")),
    (repository.UAC_INVOICE, ("pricer_invoice_id",)),
    (repository.UAC_INVOICE, ("organization_id", "provider_entity_id")),
    (repository.UAC_ADDRESS, ("id",)),
)


def _check_unique_columns(plan: LoadPlan) -> None:
    for table, columns in _UNIQUE_COLUMNS:
        owners: dict[tuple[Any, ...], Any] = {}
        for key, row in plan.rows[table.name].items():
            value = tuple(row.get(column) for column in columns)
            if any(part is None for part in value):
                continue
            if value in owners and owners[value] != key:
                first = plan.paths[(table.name, owners[value])]
                path = plan.paths[(table.name, key)]
                shown = "" if any("token" in column for column in columns) else f" {value[-1]!r}"
                raise PayloadError(
                    f"{path}.{columns[-1]}: two {table.name} records share{shown} (also {first}); "
                    f"{'/'.join(columns)} must be unique"
                )
            owners[value] = key


def plan_load(charges: Iterable[tuple[str, ChargeIn]]) -> LoadPlan:
    """The rows to write for validated charges; raises PayloadError on an inconsistency."""
    planner = _Planner()
    for path, charge in charges:
        planner.charge(path, charge)
    plan = planner.plan
    _check_unique_columns(plan)
    return plan


async def _check_references(db: Prisma, plan: LoadPlan) -> None:
    """Ids used without their record must be in the file or already in the database."""
    by_table: dict[str, dict[str, _Reference]] = {}
    for (table_name, key), reference in plan.references.items():
        if not plan.has(reference.target, key):
            by_table.setdefault(table_name, {})[key] = reference
    for references in by_table.values():
        table = next(iter(references.values())).target
        stored = await repository.existing_ids(db, table, references.keys())
        for key, reference in references.items():
            if key not in stored:
                raise PayloadError(
                    f"{reference.path}: {key} refers to a {table.name} that is neither in the file "
                    "nor in the database"
                )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


@asynccontextmanager
async def _connection(target: asyncpg.Pool | Connection | str) -> AsyncIterator[Connection]:
    if isinstance(target, str):
        connection = await asyncpg.connect(target)
        try:
            yield connection
        finally:
            await connection.close()
    elif isinstance(target, asyncpg.Pool):
        async with target.acquire() as pooled:
            yield pooled
    else:
        yield target


def _conflict_message(exc: errors.UniqueViolationError) -> str:
    # The detail repeats the clashing value, which may be an access token: name the constraint only.
    return (
        f"{exc.table}: the database already has another row with the same value for the unique "
        f"constraint {exc.constraint}; nothing was written"
    )


async def _write(db: Prisma, plan: LoadPlan, report: Progress | None) -> list[TableCount]:
    counts: list[TableCount] = []
    for table in repository.TABLES:
        rows = list(plan.rows[table.name].values())
        deleted = 0
        written = repository.Written()
        if table is repository.ORGANIZATION:
            bare = plan.referenced_organizations - plan.rows[table.name].keys()
            written.inserted += await repository.insert_missing_organizations(db, sorted(bare))
            rows_total = len(rows) + len(bare)
        else:
            rows_total = len(rows)
        if table is repository.UAC_ADDRESS:
            deleted += await repository.delete_moved_addresses(db, rows)

        def on_chunk(done: int, table_name: str = table.name, total: int = len(rows)) -> None:
            if report is not None:
                report(f"wrote {table_name} {done}/{total}")

        written.add(await repository.upsert(db, table, rows, on_chunk=on_chunk))
        if table is repository.UAC_LINE_ITEM:
            deleted += await repository.delete_line_items_not_in(
                db, plan.charges_with_lines, plan.rows[table.name].keys()
            )
        counts.append(TableCount(table.name, rows_total, written.inserted, written.updated, deleted))
    return counts


async def load_charges(
    target: asyncpg.Pool | Connection | str,
    payload: Any,
    *,
    progress: Progress | None = print_progress,
) -> LoadSummary:
    """Validates `payload` (see parse_charges) and upserts it, in one transaction, into `target`.

    `target` is a pool, a connection (the load nests in its transaction, if any) or a DSN. Nothing
    is written when anything is wrong. Progress goes to `progress` above PROGRESS_THRESHOLD charges.
    """
    charges = parse_charges(payload, progress=progress)
    plan = plan_load(charges)
    report = progress if progress is not None and plan.charge_count > PROGRESS_THRESHOLD else None
    async with _connection(target) as connection:
        db = Prisma(pool=connection)  # the client's queries run on this connection, in its transaction
        try:
            async with connection.transaction():
                await _check_references(db, plan)
                counts = await _write(db, plan, report)
        except errors.UniqueViolationError as exc:
            raise LoadConflictError(_conflict_message(exc)) from None
        except errors.PrismaError as exc:
            # Callers see the database's own error, as asyncpg raised it (e.g. an unmigrated database).
            if isinstance(exc.__cause__, asyncpg.PostgresError):
                raise exc.__cause__ from None
            raise
    if report is not None:
        report(f"loaded {plan.charge_count} charges")
    return LoadSummary(charges=plan.charge_count, tables=tuple(counts))
