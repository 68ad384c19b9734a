"""The people, channels, accounts, campaigns and leads that items refer to."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from accord.core.bulk import OneOf, by_external_id
from accord.crm.models import Account, Campaign, Channel, Lead, LeadAlias
from accord.imports.formats import normalise
from accord.imports.items import (
    BATCH_SIZE,
    CHANNEL_ALIASES,
    CREATE,
    PLACEHOLDER,
    SURROGATE,
    UNASSIGN,
    ItemError,
    Options,
    Rejected,
)
from accord.people import permissions
from accord.people.models import User

NOT_CREATED = "no {what} by this name; admins and sales & marketing operations import new ones"
UNKNOWN_OWNER = (
    "no user by this name or email in Accord; choose what to do with this owner in the "
    "import preview (a user, unassigned, or a placeholder), or create the user first"
)
UNKNOWN_SOURCE = (
    "no channel by this name in Accord; map it to a channel or create it in the import preview"
)
# Account names a run looks up one query each before it loads every account at once.
FEW_ACCOUNTS = 20
# What a person chose in the preview for an owner or a source value (`Options.value_maps`
# under "owner" and "source"): one of these, or "user:<id>" / "channel:<key>".
USER_CHOICE, CHANNEL_CHOICE = "user:", "channel:"


def owner_key(value: str) -> str:
    """How an owner value is looked up and remembered: case and outer spaces aside."""
    return value.strip().lower()


def channel_key(value: str) -> str:
    """How a source value is looked up and remembered: a channel key's spelling."""
    return normalise(value).replace(" ", "_")


def find_user(value: str) -> User | None:
    """The user an owner value names: by email, username or full name (first match)."""
    key = owner_key(value)
    parts = key.split()
    match = Q(email__iexact=key) | Q(username__iexact=key)
    if len(parts) >= 2:
        match |= Q(first_name__iexact=parts[0], last_name__iexact=" ".join(parts[1:]))
    return User.objects.filter(match).order_by("id").first()


def known_channels() -> dict[str, Channel]:
    """Every channel by its key and by its name spelled as a key."""
    channels: dict[str, Channel] = {}
    for channel in Channel.objects.all():
        channels[channel.key] = channel
        channels.setdefault(channel_key(channel.name), channel)
    return channels


def find_channel(value: str, channels: dict[str, Channel]) -> Channel | None:
    """The channel a source value names: its key, its name, or a CRM's usual alias for it."""
    key = channel_key(value)
    return channels.get(key) or channels.get(CHANNEL_ALIASES.get(key, ""))


def _queryable(text: str) -> bool:
    return "\x00" not in text and (text.isascii() or not SURROGATE.search(text))


class Resolver:
    """Finds (or creates) the people, channels, accounts and campaigns items refer to.

    Look-ups are cached for the whole run; creations are reported so nothing is silent.
    """

    def __init__(self, options: Options):
        self.options = options
        # Only who may import anything creates the owners and channels items name; anybody
        # else's item naming an unknown one is refused, creating nothing.
        self.may_create = options.actor is None or permissions.can_import_everything(options.actor)
        self.created: dict[str, list[str]] = {"owners": [], "channels": [], "accounts": []}
        self._users: dict[str, User | None] = {}
        self._channels: dict[str, Channel] = {}
        self._channels_loaded = False
        self._channel_refs: dict[str, Channel] = {}
        self._accounts: dict[str, Account] | None = None  # every account, once loaded
        self._few_accounts: dict[str, Account] = {}  # those of the names asked one by one
        self._account_lookups = 0
        self._pending_accounts: list[Account] = []
        self._campaigns: dict[str, Campaign] | None = None
        self._leads: dict[str, int] = {}
        self.lead_created_at: dict[int, datetime] = {}
        self._password = make_password(None)

    def user(self, value: str | None, field: str = "owner") -> User | None:
        if not value:
            return None
        key = owner_key(value)
        if key in self._users:
            return self._users[key]
        user = find_user(key)
        chosen = key in self.options.value_maps.get(field, {})
        if user is None or (not user.is_active and chosen):
            # Nobody, or somebody deactivated the preview asked about: as the person chose.
            user = self._unknown_user(value.strip(), key, field)
        self._users[key] = user
        return user

    def _unknown_user(self, value: str, key: str, field: str) -> User | None:
        """What the preview's choice (or the import's default) makes of an unknown owner."""
        choice = self.options.value_maps.get(field, {}).get(key, self.options.unknown_owners)
        if choice.startswith(USER_CHOICE):
            chosen = User.objects.filter(pk=choice.removeprefix(USER_CHOICE), is_active=True)
            if user := chosen.first():
                return user
            raise Rejected([ItemError(field, value, "the user chosen for this owner is gone")])
        if choice == UNASSIGN:
            return None
        if choice == PLACEHOLDER:
            if not self.may_create:
                raise Rejected([ItemError(field, value, NOT_CREATED.format(what="user"))])
            return self._placeholder_user(value)
        message = UNKNOWN_OWNER if self.may_create else NOT_CREATED.format(what="user")
        raise Rejected([ItemError(field, value, message)])

    def _placeholder_user(self, value: str) -> User:
        # An owner the source knows but Accord does not yet: keep the assignment as an
        # inactive user an admin can activate, rather than dropping it.
        email = value.lower() if "@" in value else ""
        first, _, last = ("" if email else value).partition(" ")
        base = slugify(email.split("@")[0] if email else value)[:140] or "owner"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        user = User.objects.create(
            username=username,
            email=email,
            first_name=first[:150],
            last_name=last[:150],
            is_active=False,
            password=self._password,
            role=User.Role.MEMBER,
        )
        self.created["owners"].append(value)
        return user

    def channel(self, value: str | None, field: str = "source") -> Channel | None:
        if not value:
            return None
        if value in self._channel_refs:
            return self._channel_refs[value]  # this very reference seen before
        channel = self._channel(value, field)
        self._channel_refs[value] = channel
        return channel

    def _channel(self, value: str, field: str) -> Channel:
        key = channel_key(value)
        if key in self._channels:
            return self._channels[key]
        if not self._channels_loaded:
            self._channels_loaded = True
            self._channels.update(known_channels())
        channel = find_channel(value, self._channels)
        if channel is None:
            channel = self._unknown_channel(value, key, field)
        self._channels[key] = channel
        return channel

    def _unknown_channel(self, value: str, key: str, field: str) -> Channel:
        """What the preview's choice (or the import's default) makes of an unknown source."""
        choice = self.options.value_maps.get(field, {}).get(key, self.options.unknown_sources)
        if choice.startswith(CHANNEL_CHOICE):
            chosen = self._channels.get(choice.removeprefix(CHANNEL_CHOICE))
            if chosen is not None:
                return chosen
            raise Rejected([ItemError(field, value, "the channel chosen for it is gone")])
        if not self.may_create:
            raise Rejected([ItemError(field, value, NOT_CREATED.format(what="channel"))])
        if choice != CREATE:
            raise Rejected([ItemError(field, value, UNKNOWN_SOURCE)])
        channel = Channel.objects.create(key=key[:40] or "unknown", name=value.strip()[:80])
        self.created["channels"].append(value.strip())
        return channel

    def _load_accounts(self) -> dict[str, Account]:
        if self._accounts is None:
            self._accounts = {}
            for account in Account.objects.only("id", "name", "external_id", "source_system"):
                self._remember(self._accounts, account)
            for account in self._few_accounts.values():  # made by this run: not yet saved
                self._remember(self._accounts, account)
        return self._accounts

    @staticmethod
    def _remember(accounts: dict, account: Account) -> None:
        accounts.setdefault(account.name.lower(), account)
        if account.external_id:
            accounts[f"#{account.source_system}#{account.external_id}"] = account

    def _accounts_for(self, name: str) -> dict[str, Account]:
        """The known accounts `name` may be: every account, loaded once, for a run that
        names many; for the first few names of a run (a web form's one lead, a small API
        call), only those of that name or id, so that one lead does not read them all."""
        if self._accounts is not None or not name.isascii() or not _queryable(name):
            return self._load_accounts()
        if self._account_lookups >= FEW_ACCOUNTS:
            return self._load_accounts()
        self._account_lookups += 1
        by_id = Q(source_system=self.options.source_system, external_id=name) & ~Q(external_id="")
        rows = Account.objects.only("id", "name", "external_id", "source_system").filter(
            by_id | Q(name__iexact=name)
        )
        for account in rows.order_by("name", "id"):
            self._remember(self._few_accounts, account)
        return self._few_accounts

    def account(
        self, name: str | None, *, domain: str | None = None, create: bool = True, defer=False
    ):
        """The account of that name or id, created if new. With `defer`, a new account is
        saved with the others of its batch by `flush_accounts()`, before any row uses it."""
        if not name:
            return None
        accounts = self._accounts_for(name)
        found = accounts.get(f"#{self.options.source_system}#{name}") or accounts.get(name.lower())
        if found or not create:
            return found
        account = Account(
            name=name[:200],
            domain=(domain or "")[:200],
            created_at=timezone.now(),
            source_system=self.options.source_system,
        )
        if defer:
            self._pending_accounts.append(account)
        else:
            account.save()
        self.remember_account(account)
        self.created["accounts"].append(name)
        return account

    def flush_accounts(self) -> None:
        if self._pending_accounts:
            Account.objects.bulk_create(self._pending_accounts, batch_size=BATCH_SIZE)
            self._pending_accounts = []

    def remember_account(self, account: Account) -> None:
        self._remember(self._few_accounts if self._accounts is None else self._accounts, account)

    def campaign(self, value: str | None) -> Campaign | None:
        if not value:
            return None
        if self._campaigns is None:
            self._campaigns = {}
            for c in Campaign.objects.all():
                self._campaigns.setdefault(c.name.lower(), c)
                if c.external_id:
                    self._campaigns[f"#{c.source_system}#{c.external_id}"] = c
        return self._campaigns.get(f"#{self.options.source_system}#{value}") or self._campaigns.get(
            value.lower()
        )

    def prefetch_leads(self, refs: Iterable, *, created_at: bool = False) -> None:
        """Look up a batch's lead references in two queries instead of one per item; with
        `created_at`, also when each lead was created (`lead_created_at`), which costs a
        timestamp conversion per lead, so only handlers that check it ask for it."""
        emails, ids = set(), set()
        for ref in refs:
            # Only what `Parser.text` lets through can name a lead; anything else (a number,
            # a NUL, a lone surrogate) is refused with its item, and must not reach a query.
            if isinstance(ref, str) and ref.strip() and _queryable(ref):
                ref = ref.strip()
                (emails if "@" in ref else ids).add(ref.lower() if "@" in ref else ref)
        self._leads, self.lead_created_at = {}, {}
        columns = ("id", "created_at") if created_at else ("id",)
        by_email = Lead.objects.filter(OneOf(F("email"), emails)).order_by("-id")
        by_id = by_external_id(Lead, self.options.source_system, ids)
        for key, rows in (("email", by_email), ("external_id", by_id)):
            for key_value, lead_id, *created in rows.values_list(key, *columns):
                self._leads[key_value] = lead_id
                if created:
                    self.lead_created_at[lead_id] = created[0]
        self._aliases(ids - self._leads.keys())

    def _aliases(self, ids) -> None:
        """Leads known under these ids as aliases (records merged into them on import)."""
        if not ids:
            return
        aliases = LeadAlias.objects.filter(
            source_system=self.options.source_system, external_id__in=ids
        ).values_list("external_id", "lead_id", "lead__created_at")
        for external_id, lead_id, created_at in aliases:
            self._leads[external_id] = lead_id
            self.lead_created_at[lead_id] = created_at

    def lead(self, value: str | None):
        """The lead's id for an email or external id (None if there is no such lead)."""
        if not value:
            return None
        key = value.lower() if "@" in value else value
        if key in self._leads:
            return self._leads[key]
        match = (
            Lead.objects.filter(email=key)
            if "@" in value
            else by_external_id(Lead, self.options.source_system, [value])
        )
        found = match.order_by("id").values_list("id", "created_at").first()
        if found is None and "@" not in value:
            self._aliases({value})
            return self._leads.get(value)
        if found is None:
            return None
        self._leads[key], self.lead_created_at[found[0]] = found
        return found[0]
