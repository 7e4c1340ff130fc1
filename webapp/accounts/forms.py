"""The sign-up and log-in forms, with each field's errors tied to its input."""
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm


class ErrorsBesideFields:
    """A field's errors are shown under it (registration/_fields.html) and named by its input's
    aria-describedby, so a screen reader reads them together with the field."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue  # the form's own errors: shown above the fields
            field = self[name]
            described_by = [f"{field.auto_id}_errors"]
            if field.help_text:
                described_by.append(f"{field.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)


class SignupForm(ErrorsBesideFields, UserCreationForm):
    pass


class LoginForm(ErrorsBesideFields, AuthenticationForm):
    pass
