"""The journey's timeline: each deliverable a bar from the start of its work window to its due
date, coloured by status, with a line from each anchor deliverable to the ones that follow it.
Laid out here as numbers; the template draws the SVG on the server (no script, no CDN)."""

from datetime import date, timedelta

LABEL_WIDTH, CHART_WIDTH, ROW, TOP = 300, 760, 24, 34


def chart(journey, columns) -> dict:
    rows = [(column.stage, row) for column in columns for row in column.rows]
    first = min([journey.starts_on, *(r.standing.starts_on for _, r in rows)])
    last = max([journey.ends_on, *(r.deliverable.due_on for _, r in rows)])
    span = max(1, (last - first).days + 1)

    def x(day: date) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * (day - first).days / span, 1)

    bars, where = [], {}
    for index, (stage, row) in enumerate(rows):
        d = row.deliverable
        y = TOP + index * ROW
        start, end = x(row.standing.starts_on), x(d.due_on + timedelta(days=1))
        where[d.pk] = (start, end, y)
        bars.append(
            {
                "y": y, "text_y": y + 15, "x": start, "width": max(3.0, round(end - start, 1)),
                "label": f"{stage.name} · {d.title}", "owner": str(row.owner or row.owner_label),
                "status": row.status, "status_label": row.status_label, "due_on": d.due_on,
            }
        )  # fmt: skip
    links = []
    for _, row in rows:
        d = row.deliverable
        if d.anchor_deliverable_id in where and d.pk in where:
            _, end, y1 = where[d.anchor_deliverable_id]
            start, _, y2 = where[d.pk]
            links.append({"x1": end, "y1": y1 + 9, "x2": start, "y2": y2 + 9})
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append({"x": x(max(day, first)), "label": f"{day:%b}"})
        day = (day + timedelta(days=32)).replace(day=1)
    height = TOP + len(rows) * ROW + 10
    return {
        "bars": bars, "links": links, "months": months, "height": height,
        "width": LABEL_WIDTH + CHART_WIDTH + 10, "label_x": 4, "grid_bottom": height - 6,
    }  # fmt: skip
