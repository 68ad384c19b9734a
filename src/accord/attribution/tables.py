"""The attribution pages' tables as CSV: readable headers, the numbers as the page shows
them (money in dollars, shares and returns as numbers), text made inert by the export
helpers' one rule (`crm.exports`, `core.formulas`)."""

from collections.abc import Iterator
from decimal import Decimal

from accord.attribution.compute import LABELS
from accord.attribution.models import AttributionRun
from accord.attribution.queries import DEFAULT_PAIR, side_by_side
from accord.crm.exports import Cell, Column


def _labelled(header: str, lookups: tuple[str, ...], cell: Cell = Cell.TEXT) -> Column:
    """A column headed exactly as the page heads it ("Credit, Linear ($)")."""
    return Column(header, lookups, cell, label=header)


HUNDRED = Decimal(100)


def _percent(share) -> Decimal | None:
    """A stored fraction as the percentage a reader sees: 0.1234 -> 12.34."""
    return None if share is None else (Decimal(str(share)) * HUNDRED).quantize(Decimal("0.01"))


def _ratio(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def models_table(run: AttributionRun) -> tuple[tuple[Column, ...], Iterator[tuple]]:
    """Channels down; each model's credit and share of credit across."""
    view = side_by_side(run, *DEFAULT_PAIR)
    models = [m["key"] for m in view["models"]]
    columns = [_labelled("Channel", ("name",))]
    for key in models:
        columns += [
            _labelled(f"{LABELS[key]}: credit ($)", (key,), Cell.MONEY),
            _labelled(f"{LABELS[key]}: share (%)", (key,)),
        ]

    def records():
        for row in view["rows"]:
            cells = []
            for cell in row["cells"]:
                cells += [
                    Decimal(cell["credit"]) if cell else None,
                    _percent(cell["share"]) if cell else None,
                ]
            yield (row["name"], *cells)

    return tuple(columns), records()


def channels_table(roi: dict) -> tuple[tuple[Column, ...], Iterator[tuple]]:
    window = roi["window"]
    cost = f"Cost {window['from']:%b %Y} to {window['to']:%b %Y} ($)"
    columns = (
        _labelled("Channel", ("name",)),
        _labelled(f"Credit, {roi['model']['label']} ($)", ("credit",), Cell.MONEY),
        _labelled(cost, ("cost",), Cell.MONEY),
        _labelled(roi["measure"], ("roi",)),
    )
    rows = ((r["name"], r["credit"], r["cost"], _ratio(r["roi"])) for r in roi["channels"])
    return columns, rows


def campaigns_table(roi: dict) -> tuple[tuple[Column, ...], Iterator[tuple]]:
    columns = (
        _labelled("Campaign", ("campaign",)),
        _labelled("Channel", ("channel",)),
        _labelled(f"Credit, {roi['model']['label']} ($)", ("credit",), Cell.MONEY),
        _labelled("Cost ($)", ("cost",), Cell.MONEY),
        _labelled(roi["measure"], ("roi",)),
    )
    rows = (
        (
            r["campaign"].name if r["campaign"] else "(deleted)",
            r["campaign"].channel.name if r["campaign"] else "",
            r["credit"],
            r["cost"],
            _ratio(r["roi"]),
        )
        for r in roi["campaigns"]
    )
    return columns, rows


def quarters_table(economics: dict) -> tuple[tuple[Column, ...], Iterator[tuple]]:
    columns = (
        _labelled("Quarter", ("quarter",)),
        _labelled("Cost ($)", ("cost",), Cell.MONEY),
        _labelled("New customers", ("new_customers",), Cell.INTEGER),
        _labelled("CAC ($)", ("cac",), Cell.MONEY),
        _labelled("LTV ($)", ("ltv",), Cell.MONEY),
        _labelled("LTV : CAC", ("ltv_to_cac",)),
        _labelled("Payback (months)", ("payback_months",)),
    )
    rows = (
        (
            q["quarter"],
            q["cost"],
            q["new_customers"],
            q["cac"],
            q["ltv"],
            _ratio(q["ltv_to_cac"]),
            q["payback_months"],
        )
        for q in economics["quarters"]
    )
    return columns, rows
