from django.urls import path

from profiles import views

urlpatterns = [
    path("customers/", views.customer_list_view, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail_view, name="customer-detail"),
    path("customers/<int:pk>/pin/", views.customer_pin_view, name="customer-pin"),
    path("customers/<int:pk>/unpin/", views.customer_unpin_view, name="customer-unpin"),
    path("customers/<int:pk>/merge/", views.customer_merge_view, name="customer-merge"),
    path("customers/<int:pk>/split/", views.customer_split_view, name="customer-split"),
    path("customers/<int:pk>/events/<int:event_pk>/undo/", views.customer_event_undo_view, name="customer-event-undo"),
    path("review/", views.review_queue_view, name="review-queue"),
    path("review/bulk/", views.review_bulk_view, name="review-bulk"),
    path("review/learning/", views.review_learning_view, name="review-learning"),
    path("review/learning/train/", views.review_train_view, name="review-train"),
    path("review/learning/thresholds/", views.review_thresholds_view, name="review-thresholds"),
    path("review/<int:pk>/", views.review_pair_view, name="review-pair"),
    path("review/<int:pk>/decide/", views.review_decide_view, name="review-decide"),
    path("review/<int:pk>/comment/", views.review_comment_view, name="review-comment"),
    path("review/<int:pk>/assign/", views.review_assign_view, name="review-assign"),
    path("rules/", views.survivorship_rule_list_view, name="rule-list"),
    path("rules/<slug:attribute>/", views.survivorship_rule_edit_view, name="rule-edit"),
    path("runs/", views.match_run_list_view, name="run-list"),
    path("runs/<int:pk>/", views.match_run_detail_view, name="run-detail"),
    path("runs/<int:pk>/progress/", views.match_run_progress_view, name="run-progress"),
]
