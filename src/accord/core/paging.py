"""Pages of a long list, read in two steps: the page's ids first, then its rows.

Django's Paginator slices the whole query: with `select_related`, the database joins the
owner, source and account of every row that matches before it sorts them and keeps fifty.
For a search matching 1,569 of 200,000 leads that was 30 ms on SQLite, most of it joins for
rows nobody sees. Here the sort and the slice read the ids alone (no joins beyond what the
ordering needs), and only the page's rows are read whole.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class IdsFirstPaginator(Paginator):
    """`rows`: the queryset the page's rows are read from (by default the listed one): the
    same model, with whatever the rows show beyond the list's filter (its joins, counts).

    `all_ids_up_to`: for a list whose filter is costly and matches few rows (a search), every
    matching id is read in one query, up to this many, and the count is their number: the
    filter runs once, not once to count and again for the page. More matches than that, and
    the list is counted by the database; the pages within the ids read are cut from them,
    later pages sliced by the database as usual."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        rows: QuerySet | None = None,
        all_ids_up_to: int | None = None,
        **options,
    ):
        super().__init__(object_list, per_page, **options)
        self.rows = rows
        self.all_ids = None
        self.first_ids: list = []
        if all_ids_up_to is not None and isinstance(object_list, QuerySet):
            found = list(object_list.values_list("pk", flat=True)[: all_ids_up_to + 1])
            if len(found) <= all_ids_up_to:
                self.all_ids = found
                self.count = len(found)  # the cached property, set
            else:
                # More than that: counted by the database, but the pages within the ids read
                # are cut from them, not sliced by running the filter a third time.
                self.first_ids = found[:all_ids_up_to]

    def page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.all_ids is not None:
            ids = self.all_ids[bottom:top]
        elif top <= len(self.first_ids):
            ids = self.first_ids[bottom:top]
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        source = self.rows if self.rows is not None else self.object_list
        rows = source.order_by().filter(pk__in=ids).in_bulk()
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
