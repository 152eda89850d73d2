from __future__ import annotations

from django.urls import path

from distributions.views import account, cart, documents, manage, my_orders, ordering, slots

app_name = "distributions"
urlpatterns = [
    path("distributions/", manage.distribution_list, name="list"),
    path("distributions/nouvelle/", manage.distribution_create, name="create"),
    path("distributions/<int:pk>/", manage.distribution_detail, name="detail"),
    path("distributions/<int:pk>/modifier/", manage.distribution_edit, name="edit"),
    path(
        "distributions/<int:pk>/lignes/<int:line_pk>/livree/",
        manage.line_deliver,
        name="line_deliver",
    ),
    path(
        "distributions/<int:pk>/commandes/<slug:action>/",
        manage.distribution_lifecycle,
        name="lifecycle",
    ),
    path("distributions/<int:pk>/creneaux/", slots.slots, name="slots"),
    path("distributions/<int:pk>/creneaux/<int:slot_pk>/", slots.slot_edit, name="slot_edit"),
    path(
        "distributions/<int:pk>/creneaux/<int:slot_pk>/supprimer/",
        slots.slot_remove,
        name="slot_delete",
    ),
    path(
        "distributions/<int:pk>/commandes/<int:order_pk>/creneau/",
        slots.order_move,
        name="order_move",
    ),
    path("distributions/<int:pk>/valider/", manage.distribution_validate_view, name="validate"),
    path("distributions/<int:pk>/documents/<slug:kind>/", documents.document, name="document"),
    path(
        "distributions/<int:pk>/documents/<slug:kind>/pdf/",
        documents.document_pdf,
        name="document_pdf",
    ),
    path("distributions/<int:pk>/lignes.<slug:fmt>", documents.lines_export, name="lines_export"),
    path("commander/", ordering.order, name="order"),
    path("commander/<int:pk>/", ordering.order_distribution, name="order_distribution"),
    path("commander/<int:pk>/panier/", cart.cart_update, name="cart"),
    path("commander/<int:pk>/disponible/", ordering.availability, name="availability"),
    path("commander/<int:pk>/confirmer/", ordering.confirm, name="confirm"),
    path("mes-commandes/", my_orders.my_orders, name="my_orders"),
    path("compte/", account.account, name="account"),
    path("compte/mot-de-passe/", account.password_change, name="account_password"),
    path("mes-commandes/<int:pk>/modifier/", my_orders.my_order_change, name="my_order_change"),
    path("mes-commandes/<int:pk>/annuler/", my_orders.my_order_cancel, name="my_order_cancel"),
]
