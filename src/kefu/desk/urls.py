from django.urls import include, path

from kefu.desk import views, views_agent, views_channels, views_knowledge, views_orders, views_supervisor

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path(
        "customers/<int:customer_id>/lines/<int:subscription_id>/usage/",
        views.line_usage,
        name="line_usage",
    ),
    # Work orders (PRODUCT §5). The fixed paths come before "orders/<number>/".
    path("customers/<int:customer_id>/orders/", views_orders.customer_orders, name="customer_orders"),
    path("customers/<int:customer_id>/orders/new/", views_orders.order_create, name="order_create"),
    path("orders/", views_orders.order_list, name="order_list"),
    path("orders/board/", views_orders.order_board, name="order_board"),
    path("orders/badge/", views_orders.order_nav_badge, name="order_nav_badge"),
    path("orders/<str:number>/", views_orders.order_detail, name="order_detail"),
    path("orders/<str:number>/do/<slug:code>/", views_orders.order_action, name="order_action"),
    path(
        "orders/<str:number>/attachments/<int:attachment_id>/",
        views_orders.order_attachment,
        name="order_attachment",
    ),
    path("field/", views_orders.field_home, name="field_home"),
    path("field/orders/<str:number>/", views_orders.field_order, name="field_order"),
    path("notices/bell/", views_orders.notice_bell, name="notice_bell"),
    # The live contact centre (issue 4): the agent desktop and the supervisor's wall.
    path("agent/", views_agent.desktop, name="agent_desktop"),
    path("agent/state/", views_agent.agent_state, name="agent_state"),
    path("agent/offers/", views_agent.offers, name="agent_offers"),
    path("agent/offers/<int:entry_id>/accept/", views_agent.accept_offer, name="agent_accept"),
    path("agent/offers/<int:entry_id>/decline/", views_agent.decline_offer, name="agent_decline"),
    path("agent/contacts/", views_agent.my_contacts, name="agent_contacts"),
    path("agent/contacts/<int:contact_id>/", views_agent.contact_pane, name="agent_contact"),
    path("agent/contacts/<int:contact_id>/messages/", views_agent.send_message, name="agent_send"),
    path("agent/contacts/<int:contact_id>/transfer/", views_agent.transfer, name="agent_transfer"),
    path("agent/contacts/<int:contact_id>/end/", views_agent.end_contact, name="agent_end"),
    path("agent/contacts/<int:contact_id>/wrap-up/", views_agent.wrap_up, name="agent_wrap_up"),
    path("agent/contacts/<int:contact_id>/customer/", views_agent.screen_pop, name="agent_screen_pop"),
    path("agent/contacts/<int:contact_id>/identify/", views_agent.identify_customer, name="agent_identify"),
    path("customers/<int:customer_id>/contacts/", views_agent.customer_contacts, name="customer_contacts"),
    path("supervisor/", views_supervisor.wall, name="supervisor"),
    path("supervisor/wall/", views_supervisor.wall_partial, name="supervisor_wall"),
    path("supervisor/agents/<int:agent_id>/state/", views_supervisor.force_state, name="supervisor_agent_state"),
    path("supervisor/entries/<int:entry_id>/move/", views_supervisor.move_entry, name="supervisor_move"),
    path("supervisor/dead-letters/", views_channels.dead_letters, name="dead_letters"),
    path("supervisor/dead-letters/<int:item_id>/retry/", views_channels.retry_dead_letter, name="dead_letter_retry"),
    path(
        "supervisor/dead-letters/<int:item_id>/discard/", views_channels.discard_dead_letter, name="dead_letter_discard"
    ),
    # The knowledge base (issue 6): search, articles and their review, diagnosis guides.
    path("knowledge/", include(views_knowledge.urlpatterns)),
]
