"""What a charge line bills: its latest adjustment's figures, else its own, as exact Decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from api.invoices.charge import ChargeLineItem, LineAdjustmentRow
from api.values import as_utc

# Sorts adjustments without a timestamp before every dated one.
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class EffectiveAmounts(NamedTuple):
    """What a line bills: its latest adjustment's values, else its own. None where the data has none."""

    quantity: Decimal | None
    unit_amount: Decimal | None
    total_amount: Decimal | None


# acc_uac_invoice and uac_line_item keep money as DECIMAL(10, 2): a larger amount could be
# invoiced in Rutter but never stored here, so it is refused before anything is sent.
MAX_STORED_AMOUNT = Decimal("99999999.99")


def _decimal(value: float | Decimal | None) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    # str() gives the shortest repr, so 19.99 becomes Decimal("19.99"), not its binary expansion.
    return Decimal(str(value))


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return _EARLIEST
    return as_utc(moment)


def _adjustment_order(adjustment: LineAdjustmentRow) -> tuple[datetime, datetime, str]:
    return (
        _utc(adjustment.created_at),
        _utc(adjustment.date_created),
        adjustment.invoice_adjustment_line_item_id,
    )


def latest_adjustment(line_item: ChargeLineItem) -> LineAdjustmentRow | None:
    """The line's adjustment with the latest `created_at` (then `date_created`, then id), or None."""
    if not line_item.adjustments:
        return None
    return max(line_item.adjustments, key=_adjustment_order)


def effective_amounts(line_item: ChargeLineItem) -> EffectiveAmounts:
    """Quantity, unit price and total of the line as Decimals.

    The latest adjustment, where there is one, gives all three, as stored (a value it lacks stays
    None rather than mixing adjusted and original figures).
    """
    if line_item.adjustments:
        adjustment = max(line_item.adjustments, key=_adjustment_order)
        return EffectiveAmounts(
            _decimal(adjustment.quantity), _decimal(adjustment.unit_price), _decimal(adjustment.total_amount)
        )
    line = line_item.line
    return EffectiveAmounts(_decimal(line.quantity), _decimal(line.unit_amount), _decimal(line.total_amount))
