"""Pages of the connector: Paramètres → Synchro Escarcelle (the import pages are in
``escarcelle.imports.views``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from escarcelle.client import EscarcelleError
from escarcelle.connection import (
    AccountChange,
    connection_for,
    connection_remove,
    connection_save,
)
from escarcelle.models import ImportRun
from shops.access import ShopRequest, manager_view

# The sections of the Synchro Escarcelle page that the sub-apps provide, in page order; each
# template is included with the page's context (shop, connection).
SETTINGS_SECTIONS: tuple[str, ...] = (
    "escarcelle_stock/_settings_section.html",
    "escarcelle_sales/_settings_section.html",
)


class KeyForm(forms.Form):
    api_key = forms.CharField(
        label=gettext_lazy("Clé Escarcelle"),
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Dans votre compte Escarcelle : Paramètres, puis API."),
    )
    confirm_account_change = forms.BooleanField(
        label=gettext_lazy("Je confirme le changement de compte Escarcelle"), required=False
    )


@sensitive_post_parameters("api_key")
@manager_view
@sensitive_variables("form", "api_key")
def settings_page(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    form = KeyForm()
    account_change = ""
    if request.method == "POST":
        if request.POST.get("action") == "disconnect":
            connection_remove(shop=shop)
            messages.success(request, _("Epiclic est déconnecté d'Escarcelle."))
            return redirect("escarcelle:settings", shop_slug=shop.slug)
        form = KeyForm(request.POST)
        if form.is_valid():
            api_key = form.cleaned_data["api_key"]
            try:
                connection = connection_save(
                    shop=shop,
                    user=request.user,
                    api_key=api_key,
                    confirm_account_change=form.cleaned_data["confirm_account_change"],
                )
            except AccountChange as change:
                account_change = change.message
            except EscarcelleError as error:
                form.add_error("api_key", error.message)
            else:
                messages.success(
                    request,
                    _("Clé enregistrée : Epiclic est connecté au compte Escarcelle « %(name)s ».")
                    % {"name": connection.account_name},
                )
                return redirect("escarcelle:settings", shop_slug=shop.slug)
    runs = ImportRun.objects.filter(shop=shop).select_related("user")[:30]
    context = {
        "connection": connection_for(shop),
        "form": form,
        "runs": runs,
        "sections": SETTINGS_SECTIONS,
        "account_change": account_change,
    }
    return render(request, "escarcelle/settings.html", context)
