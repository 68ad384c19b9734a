from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from accord.people import logins, permissions, zones
from accord.people.models import ApiToken, Team, User


class ThrottledLoginForm(AuthenticationForm):
    """The standard login form, refusing accounts and client addresses locked by repeated
    failures (see people.logins)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again.",
        "locked": (
            "Too many failed attempts for this account. Try again in %(minutes)s minutes, "
            "or ask an admin to reset your password."
        ),
        "address_locked": (
            "Too many failed attempts from your network address. Try again in %(minutes)s minutes."
        ),
    }

    def clean_username(self):
        # Every spelling (ＡＤＡ, 𝐚𝐝𝐚, Ada) is the one account: for the password and for the
        # count of failures alike.
        return User.normalize_username(self.cleaned_data["username"])

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        address = logins.client_address(self.request) if self.request else None
        for code, locked_until in (
            ("address_locked", logins.address_locked_until(address)),
            ("locked", logins.account_locked_until(username)),
        ):
            if locked_until:
                minutes = max(1, round((locked_until - timezone.now()).total_seconds() / 60))
                raise forms.ValidationError(
                    self.error_messages[code], code=code, params={"minutes": minutes}
                )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            logins.record_failure(username, address)
            raise
        logins.clear_account(username)
        return cleaned


class NormalUsernameField(forms.CharField):
    """A username in its one spelling before it is validated, so the name checked (allowed
    characters, not taken) is the name stored."""

    def to_python(self, value):
        return User.normalize_username(super().to_python(value))


class UserForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        strip=False,
        help_text="Required for a new user. Leave empty to keep the current password.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "title",
            "role",
            "time_zone",
            "is_active",
        ]
        field_classes = {"username": NormalUsernameField}
        widgets = {"time_zone": forms.TextInput(attrs={"list": "time-zones"})}
        help_texts = {"time_zone": "An IANA name such as America/Chicago; empty: their team's."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        return zones.check_zone(value) if value else ""
        if self.instance.pk:
            self.initial["teams"] = list(self.instance.teams.all())

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        clash = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another user already has this email address.")
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if not self.instance.pk and not password:
            self.add_error("password", "A new user needs a password.")
        elif password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "kind", "time_zone"]

    def clean_time_zone(self):
        return zones.check_zone(self.cleaned_data["time_zone"])


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label="Time zone",
        help_text="An IANA name such as America/Chicago.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What it is for, e.g. “Warehouse sync”.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not permissions.can_import(user):
            self.fields["scope"].choices = [(ApiToken.Scope.READ, ApiToken.Scope.READ.label)]
            self.fields["scope"].help_text = "Only managers, leaders and admins write in bulk."


class DigestForm(forms.Form):
    email_digest = forms.BooleanField(
        required=False, label="Email me one daily digest instead of an email per alert"
    )
    weekly_digest = forms.BooleanField(
        required=False,
        label="Email me the weekly scoreboard digest on Mondays (both teams' commitments)",
    )
