"""Read models for the attribution page and API: the stored runs, side by side."""

from decimal import Decimal

from accord.attribution.models import AttributionRun
from accord.crm.models import Channel

MODEL_LABELS = {"markov": "Markov (data-driven)", "shapley": "Shapley (data-driven)"}


def latest(basis: str) -> tuple[AttributionRun | None, AttributionRun | None]:
    """The newest finished run of the basis, and a newer one still queued or running."""
    runs = AttributionRun.objects.filter(basis=basis)
    done = runs.filter(status=AttributionRun.Status.DONE).first()
    newest = runs.first()
    pending = newest if newest is not None and newest.status != AttributionRun.Status.DONE else None
    return done, pending


def side_by_side(run: AttributionRun) -> dict:
    """Channels down, models across: credit and share, with a grouped bar chart of shares."""
    models = run.result["models"]
    names = dict(Channel.objects.values_list("key", "name"))
    channels: dict[str, dict[str, dict]] = {}
    for model, result in models.items():
        for row in result["by_channel"]:
            channels.setdefault(row["channel"], {})[model] = row
    order = list(models)
    first = models[order[0]]

    def weight(item):
        key, cells = item
        return (-max(Decimal(cell["credit"]) for cell in cells.values()), key)

    rows = [
        {
            "channel": key,
            "name": names.get(key, key),
            "cells": [cells.get(model) for model in order],
        }
        for key, cells in sorted(channels.items(), key=weight)
    ]
    return {
        "models": [{"key": m, "label": MODEL_LABELS.get(m, m)} for m in order],
        "rows": rows,
        "total": Decimal(first["total"]),
        "unattributed": first["unattributed"],
        "chart": {
            "labels": [row["name"] for row in rows],
            "datasets": [
                {
                    "label": MODEL_LABELS.get(model, model),
                    "values": [
                        (cell or {}).get("share", 0) for cell in (row["cells"][i] for row in rows)
                    ],
                }
                for i, model in enumerate(order)
            ],
            "percent": True,
            "legend": "bottom",
        },
    }
