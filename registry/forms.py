"""The inventory entry as a web form: the same fields and checks as the API's
ModelWriteSerializer; the view hands the cleaned data to the same services."""

from django import forms
from django.contrib.auth import get_user_model

from registry.models import RegisteredModel, RegulatoryScope, RiskTier


class _PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("username")


def _text(label, required=True, max_length=5000, rows=3, help_text=""):
    return forms.CharField(label=label, required=required, max_length=max_length,
                           help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


class InventoryEntryForm(forms.Form):
    slug = forms.SlugField(max_length=80, help_text="Short name used in URLs and by CI, "
                           "e.g. credit-pd-xgb. It cannot be changed later.")
    name = forms.CharField(max_length=200)
    purpose = _text("Purpose")
    business_use = _text("Business use", required=False)
    owner = _PersonField(queryset=_people(), to_field_name="username")
    developer = _PersonField(queryset=_people(), to_field_name="username", required=False,
                             empty_label="none")
    validator = _PersonField(queryset=_people(), to_field_name="username", required=False,
                             empty_label="not assigned")
    ci_accounts = forms.ModelMultipleChoiceField(
        queryset=_people(), to_field_name="username", required=False,
        label="CI accounts", help_text="Service accounts that may register versions.",
        widget=forms.CheckboxSelectMultiple)
    risk_tier = forms.TypedChoiceField(choices=RiskTier.choices, coerce=int)
    tier_rationale = _text("Risk tier rationale")
    regulatory_scope = forms.MultipleChoiceField(choices=RegulatoryScope.choices,
                                                 required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    inputs = _text("Inputs", required=False)
    outputs = _text("Outputs", required=False)
    limitations = _text("Known limitations", required=False)
    restrictions_on_use = _text("Restrictions on use", required=False)
    origin = forms.ChoiceField(choices=RegisteredModel.Origin.choices,
                               initial=RegisteredModel.Origin.IN_HOUSE)
    vendor_name = forms.CharField(max_length=200, required=False)
    status = forms.ChoiceField(choices=RegisteredModel.Status.choices,
                               initial=RegisteredModel.Status.IN_DEVELOPMENT)
    next_review_date = forms.DateField(required=False, widget=forms.DateInput(
        attrs={"type": "date"}), help_text="YYYY-MM-DD")

    def __init__(self, *args, editing: RegisteredModel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            self.fields.pop("slug")
            self.fields["reason"] = forms.CharField(
                label="Reason for the change", max_length=2000,
                help_text="Recorded in the audit trail with the change.")

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = value.strip()
        for name in ("name", "purpose", "tier_rationale", "reason"):
            if name in self.fields and name in data and not data[name]:
                self.add_error(name, "This field cannot be only spaces.")
        if data.get("origin") == RegisteredModel.Origin.VENDOR and not data.get("vendor_name"):
            self.add_error("vendor_name", "Name the vendor.")
        if self.editing is None and data.get("slug") and RegisteredModel.objects.filter(
                slug=data["slug"]).exists():
            self.add_error("slug", "A model with this slug already exists.")
        return data

    def service_fields(self) -> tuple[dict, list[str]]:
        """(fields for create_model/update_model with people as usernames, CI accounts)."""
        fields = dict(self.cleaned_data)
        fields.pop("reason", None)
        ci_accounts = [user.get_username() for user in fields.pop("ci_accounts", [])]
        for role in ("owner", "developer", "validator"):
            user = fields.get(role)
            fields[role] = user.get_username() if user else None
        return fields, ci_accounts

    @staticmethod
    def initial_for(model: RegisteredModel) -> dict:
        initial = {name: getattr(model, name) for name in (
            "name", "purpose", "business_use", "risk_tier", "tier_rationale",
            "regulatory_scope", "inputs", "outputs", "limitations", "restrictions_on_use",
            "origin", "vendor_name", "status", "next_review_date")}
        initial |= {"owner": model.owner, "developer": model.developer,
                    "validator": model.validator, "ci_accounts": list(model.ci_accounts.all())}
        return initial
